"""What each `pol` command does, given its parsed arguments; `pol.compiler.cli` parses them."""

from __future__ import annotations

import argparse
import datetime
import functools
import keyword
import os
import re
import socket
import sys
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table

from pol.compiler import ir, runtime
from pol.compiler.backends.python import RUNTIME_MODULE
from pol.compiler.check.report import escape, print_diagnostics, render_json, to_json
from pol.compiler.cli.arguments import EXIT_BAD_INPUT, EXIT_OK, EXIT_POLICY_ERRORS, date_or_error
from pol.compiler.evaluate.examples import Outcome, TotalOutcome, run_examples, run_policy_examples
from pol.compiler.evaluate.jsonfile import read_json
from pol.compiler.evaluate.pipeline import (
    MAX_SOURCE_BYTES,
    SUBJECTS_FILE,
    Compiled,
    compile_file,
    load_evaluator,
    policy_files,
    python_source,
)
from pol.compiler.files import NotOurs, overlapping, read_source, replace_folder, write_file
from pol.compiler.ledger.profile import (
    LEDGER_STATUS,
    Ledger,
    ProfileError,
    evaluate_profile,
    load_policies,
    match,
    policy_keys,
)
from pol.compiler.lower import lower


class Cli:
    """Holds the consoles so tests can capture output; each command is a method returning an exit code."""

    def __init__(self, out: Console | None = None, err: Console | None = None):
        self.out = out or Console(highlight=False, soft_wrap=True)
        self.err = err or Console(stderr=True, highlight=False, soft_wrap=True)

    def fail(self, message: str) -> int:
        self.err.print(f"[bold red]error:[/] {escape(message)}")
        return EXIT_BAD_INPUT

    def fail_all(self, message: str, problems: list[str]) -> int:
        """Bad input with several problems: one line saying what, then each problem."""
        self.err.print(f"[bold red]error:[/] {escape(message)}")
        for problem in problems:
            self.err.print(f"  - {escape(problem)}")
        return EXIT_BAD_INPUT

    def compile(self, paths: Sequence[str], fmt: str = "text") -> tuple[list[Compiled], bool]:
        """Check every file, print every diagnostic, and say whether all files are free of errors."""
        files = policy_files(list(paths))
        compiled = [compile_file(p) for p in files]
        diagnostics = [d for c in compiled for d in c.diagnostics]
        if fmt == "json":
            self.out.print(render_json(diagnostics), markup=False, highlight=False)
        elif diagnostics:
            print_diagnostics(diagnostics, {c.source.path: c.source for c in compiled}, self.err)
        return compiled, all(c.ok for c in compiled)

    # ------------------------------------------------------------ commands

    def check(self, args: argparse.Namespace) -> int:
        compiled, ok = self.compile(args.paths, args.format)
        if args.format == "text":
            errors = sum(d.severity == "error" for c in compiled for d in c.diagnostics)
            if not compiled:
                return self.fail("no .pol files found in " + ", ".join(args.paths))
            if ok:
                self.err.print(f"[green]checked {len(compiled)} file(s): no errors[/]")
            else:
                self.err.print(f"[red]{errors} error(s) in {len(compiled)} file(s)[/]")
        return EXIT_OK if ok else EXIT_POLICY_ERRORS

    def apart(self, out: str, inputs: Sequence[str | None], what: str) -> int | None:
        """Exit code 2 with a message when the output `out` equals, contains or is inside one of the inputs.

        A policy's inputs include the subjects taxonomy read beside it (subjects.toml)."""
        given = [Path(i) for i in inputs if i]
        given += [p.parent / SUBJECTS_FILE for p in given if p.suffix == ".pol"]
        clash = overlapping(Path(out), given)
        if clash is None:
            return None
        return self.fail(
            f"refusing to write {what} to {out}: it would overwrite or contain the input {clash}; "
            "give an output outside every input"
        )

    def checked(self, paths: Sequence[str]) -> list[Compiled] | int:
        """Every file of `paths` checked without errors, or the exit code to stop with."""
        compiled, ok = self.compile(paths)
        if not compiled:
            return self.fail("no .pol files found in " + ", ".join(paths))
        return compiled if ok else EXIT_POLICY_ERRORS

    def lint(self, args: argparse.Namespace) -> int:
        from pol.compiler.drafting.lint import lint

        compiled = self.checked(args.paths)
        if isinstance(compiled, int):
            return compiled
        found = {c.source.path: lint(c.policy, c.source) for c in compiled}  # type: ignore[arg-type]
        diagnostics = [d for ds in found.values() for d in ds]
        if args.format == "json":
            self.out.print(render_json(diagnostics), markup=False, highlight=False)
        elif diagnostics:
            print_diagnostics(diagnostics, {c.source.path: c.source for c in compiled}, self.err)
        errors = sum(d.severity == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        if args.format == "text":
            colour = "red" if errors else "yellow" if warnings else "green"
            self.err.print(
                f"[{colour}]linted {len(compiled)} file(s): {errors} unexplained figure(s), {warnings} warning(s)[/]"
            )
        return EXIT_POLICY_ERRORS if errors else EXIT_OK

    def prove(self, args: argparse.Namespace) -> int:
        """Each clause's properties, proved or broken with the facts that break them (compiler/prove.py)."""
        try:
            from pol.compiler.drafting import prove
        except ImportError as exc:
            return self.fail(f"pol prove needs {exc.name}: pip install 'pol[prove]'")
        if not 0 < args.timeout <= 3600:
            return self.fail(f"--timeout {args.timeout}: give the solver's seconds per question (0 to 3600)")
        compiled = self.checked(args.paths)
        if isinstance(compiled, int):
            return compiled
        results, diagnostics = {}, []
        for c in compiled:
            assert c.policy is not None
            module = load_evaluator(python_source(c), _module_name(Path(c.source.path)))
            prover = prove.Prover(c.policy, lower(c.policy, c.source.path), module, int(args.timeout * 1000))
            findings = list(prover.findings())
            results[c.source.path] = findings
            diagnostics += prove.diagnostics(c.policy, findings, c.source)
        errors = sum(d.severity == "error" for d in diagnostics)
        if args.format == "json":
            payload = {path: [f.to_json() for f in fs] for path, fs in results.items()}
            self.out.print(to_json({"files": payload, "errors": errors}), markup=False, soft_wrap=True)
            return EXIT_POLICY_ERRORS if errors else EXIT_OK
        if diagnostics:
            print_diagnostics(diagnostics, {c.source.path: c.source for c in compiled}, self.err)
        counts = {
            s: sum(f.status == s for fs in results.values() for f in fs) for s in ("proved", "broken", "undecided")
        }
        colour = "red" if errors else "yellow" if counts["broken"] or counts["undecided"] else "green"
        self.err.print(
            f"[{colour}]proved {counts['proved']} propert(ies) of {sum(len({f.clause for f in fs}) for fs in results.values())} "
            f"clause(s); {counts['broken']} broken, {counts['undecided']} undecided (未能判定)[/]"
        )
        return EXIT_POLICY_ERRORS if errors else EXIT_OK

    def inventory(self, args: argparse.Namespace) -> int:
        from pol.compiler.reading.inventory import KINDS, annual_text, inventory, inventory_markdown

        compiled = self.checked(args.paths)
        if isinstance(compiled, int):
            return compiled
        items = [inventory(c.policy) for c in compiled]  # type: ignore[arg-type]
        if args.format == "json":
            self.out.print(to_json([i.to_json() for i in items]), markup=False, soft_wrap=True)
        elif args.format == "markdown":
            self.out.print(inventory_markdown(items), markup=False, highlight=False)
        else:
            table = Table(title="政策条款清单")
            for head in ("文件", *KINDS.values(), "单个企业每年最高"):
                table.add_column(head, justify="left" if head == "文件" else "right")
            for i in items:
                table.add_row(escape(i.title), *(str(i.count(k)) for k in KINDS), escape(annual_text(i)))
            self.out.print(table)
        return EXIT_OK

    def build(self, args: argparse.Namespace) -> int:
        from pol.compiler.backends import js as js_backend

        if (refused := self.apart(args.out, args.paths, "the evaluators")) is not None:
            return refused
        compiled = self.checked(args.paths)
        if isinstance(compiled, int):
            return compiled
        out = Path(args.out)
        modules: dict[str, str] = {}
        written: dict[str, str] = {}  # module names as a case-insensitive file system sees them, to their file
        for c in compiled:
            path = c.source.path
            name = _module_name(Path(path))
            suffix = ".mjs" if args.target == "js" else ".py"
            if (why := _unimportable(name, args.target)) is not None:
                return self.fail(
                    f"{path}: the evaluator would be written as {name}{suffix}, which {why}; rename the file"
                )
            if name.casefold() in written:
                return self.fail(
                    f"{written[name.casefold()]} and {path} would both be written as {name}{suffix} "
                    "(names are compared as Python imports them, and ignoring case); rename one file"
                )
            written[name.casefold()] = path
            if args.target == "js":
                modules[f"{name}.mjs"] = js_backend.generate(lower(c.policy, path))  # type: ignore[arg-type]
            else:
                modules[f"{name}.py"] = python_source(c)
        runtime_files: dict[str, str | bytes] = (
            dict(js_backend.runtime_files())
            if args.target == "js"
            else {f"{RUNTIME_MODULE}.py": Path(runtime.__file__).read_text(encoding="utf-8")}
        )
        try:
            replace_folder(out, {**runtime_files, **modules})
        except NotOurs as exc:
            return self.fail(f"refusing to write the evaluators: {exc}")
        self.err.print(
            f"[green]wrote {len(modules)} evaluator(s) and {escape(', '.join(runtime_files))} to {escape(str(out))}[/]"
        )
        if args.json:
            self.out.print(
                to_json(
                    {
                        "out": str(out),
                        "target": args.target,
                        "evaluators": sorted(modules),
                        "runtime": sorted(runtime_files),
                    }
                ),
                markup=False,
            )
        return EXIT_OK

    def docs(self, args: argparse.Namespace) -> int:
        from pol.compiler.drafting.diff import diff
        from pol.compiler.ledger.compare import compare
        from pol.compiler.site.build import DEFAULT_SITE_NAME, SitePolicy, read_guide, site_files
        from pol.compiler.site.comparison import comparison_page
        from pol.compiler.site.paths import clashing_clauses, site_slug
        from pol.compiler.site.revision import revision_page

        inputs = [*args.paths, *(args.guide or []), *(args.compare or [])]
        if (refused := self.apart(args.out, inputs, "the site")) is not None:
            return refused
        compiled = self.checked(args.paths)
        if isinstance(compiled, int):
            return compiled
        as_of = _as_of(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        policies: list[SitePolicy] = []
        for c in compiled:
            assert c.policy is not None
            slug = site_slug(_module_name(Path(c.source.path)))
            if any(p.slug.casefold() == slug.casefold() for p in policies):
                return self.fail(f"two policies would both be written as policies/{slug}.md; rename one file")
            for a, b in clashing_clauses(c.policy.provisions):
                return self.fail(
                    f"{c.source.path}: clauses {a} and {b} differ only in case, so their pages would be one file "
                    "on Windows and macOS; rename one"
                )
            outcomes = run_examples(c.policy, load_evaluator(python_source(c)))
            failed = [o for o in outcomes if not o.passed]
            if failed:
                o = failed[0]
                return self.fail(
                    f"{c.source.path}: example {o.example.name!r} of clause {o.clause.id} fails "
                    f"({len(failed)} failing in all); run `pol test` and fix them first, "
                    "so the site never shows a wrong result"
                )
            policies.append(SitePolicy(slug, c.policy, c.source, outcomes))
        for what, given in (("guide", args.guide or []), ("project", args.compare or [])):
            names = [_module_name(Path(g)).casefold() if what == "project" else Path(g).name.casefold() for g in given]
            if len(set(names)) < len(names):
                clash = next(g for g, n in zip(given, names, strict=True) if names.count(n) > 1)
                return self.fail(
                    f"two --{'compare' if what == 'project' else 'guide'} files would both be written as "
                    f"the page of {Path(clash).name}; rename one"
                )
        guides = []
        for g in args.guide or []:
            try:
                guides.append(read_guide(Path(g)))
            except (OSError, UnicodeDecodeError) as exc:
                return self.fail(f"cannot read guide {g}: {exc}")
        comparisons = []
        try:
            evaluators = load_policies(compiled) if args.compare else {}
        except ProfileError as exc:
            return self.fail_all("the policies cannot be told apart:", exc.problems)
        slugs = {Path(c.source.path).stem: site_slug(_module_name(Path(c.source.path))) for c in compiled}
        for path in args.compare or []:
            raw = read_json(path, "project file")
            if isinstance(raw, str):
                return self.fail(raw)
            # The columns are the policies the project gives facts for, in its order.
            named = raw.get("policies") if isinstance(raw, dict) else None
            chosen = {k: evaluators[k] for k in (named if isinstance(named, dict) else {}) if k in evaluators}
            try:
                comp = compare(raw, chosen, as_of if args.as_of else None)
            except ProfileError as exc:
                return self.fail_all(f"the project {path} cannot be compared:", exc.problems)
            comparisons.append(
                (_module_name(Path(path)), comp.project.name or Path(path).stem, comparison_page(comp, slugs, as_of))
            )
        revisions = []
        by_stem = {Path(c.source.path).stem: c for c in compiled}
        for c in compiled:
            assert c.policy is not None
            earlier = c.policy.header.get("supersedes")
            if earlier is None:
                continue
            if str(earlier) not in by_stem:
                return self.fail(
                    f"{c.source.path}: supersedes '{earlier}', but no {earlier}.pol is among the policies of the site"
                )
            old = by_stem[str(earlier)]
            assert old.policy is not None
            titles = [str(x.policy.header.get("title", Path(x.source.path).stem)) for x in (old, c) if x.policy]
            pair = [(slugs[Path(x.source.path).stem], t) for x, t in zip((old, c), titles, strict=True)]
            revisions.append((pair[1][0], titles[1], revision_page(pair[0], pair[1], diff(old, c))))
        out = Path(args.out)
        url = args.site_url
        if url is not None and not re.fullmatch(r"https?://[^\s\"'<>]+", url):
            return self.fail(
                f"--site-url {url!r}: give the address the site is served from, such as https://example.gov.cn/"
            )
        if url is not None and not url.endswith("/"):
            url += "/"
        files = site_files(policies, guides, as_of, args.site_name or DEFAULT_SITE_NAME, comparisons, url, revisions)
        try:
            replace_folder(out, files)
        except NotOurs as exc:
            return self.fail(f"refusing to write the site: {exc}")
        self.err.print(
            f"[green]wrote {len(policies)} policy page(s), the indexes and mkdocs.yml to "
            f"{escape(str(out))}[/]; build the site with `mkdocs build --strict -f {escape(str(out))}/mkdocs.yml`"
        )
        if args.json:
            self.out.print(
                to_json(
                    {
                        "out": str(out),
                        "policies": len(policies),
                        "files": sorted(files),
                        "mkdocs": str(out / "mkdocs.yml"),
                    }
                ),
                markup=False,
            )
        return EXIT_OK

    def batch(self, args: argparse.Namespace) -> int:
        inputs = [*args.policies, args.input, args.columns, args.history]
        if (refused := self.apart(args.out, inputs, "the results")) is not None:
            return refused
        if Path(args.out).suffix.lower() not in (".parquet", ".csv"):
            return self.fail(f"--out {args.out}: write .parquet or .csv")
        if not Path(args.input).is_file() or Path(args.input).suffix.lower() not in (".parquet", ".csv"):
            return self.fail(f"--input {args.input}: give a .csv or .parquet file of one row per applicant")
        if args.history and (
            not Path(args.history).is_file() or Path(args.history).suffix.lower() not in (".parquet", ".csv")
        ):
            return self.fail(f"--history {args.history}: give a .csv or .parquet file of one row per grant")
        as_of = _as_of(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        columns: dict[str, str] = {}
        if args.columns:
            try:
                table = tomllib.loads(Path(args.columns).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                return self.fail(f"--columns {args.columns}: {exc}{_bare_key_hint(Path(args.columns), exc)}")
            if not all(isinstance(v, str) for v in table.values()):
                return self.fail(f'--columns {args.columns}: give input = "column" lines')
            columns = dict(table)
        compiled = self.checked(args.policies)
        if isinstance(compiled, int):
            return compiled
        try:
            keys = policy_keys([c.source.path for c in compiled])
        except ProfileError as exc:
            return self.fail_all("the policies cannot be told apart:", exc.problems)
        programs = {
            key: lower(c.policy, c.source.path)  # type: ignore[arg-type]
            for key, c in zip(keys, compiled, strict=True)
        }
        ignore = list(args.ignore)
        if args.clause:
            chosen = _chosen_clauses(programs, args.clause)
            if isinstance(chosen, str):
                return self.fail(chosen)
            # The columns of the clauses left out are the policies' inputs still: read past, not refused.
            kept = {i.name for p in chosen.values() for i in p.inputs}
            ignore += [columns.get(i.name, i.name) for p in programs.values() for i in p.inputs if i.name not in kept]
            programs = chosen
        unknown = sorted(set(columns) - {i.name for p in programs.values() for i in p.inputs})
        if unknown:
            return self.fail(f"--columns {args.columns}: not inputs of the policies: {', '.join(unknown)}")
        from pol.compiler.population import batch  # DuckDB is imported only when a batch runs
        from pol.compiler.population.engines import EngineUnavailable

        try:
            result = batch.run(
                programs,
                Path(args.input),
                Path(args.out),
                as_of,
                columns,
                progress=self.err.is_terminal,
                match=args.match,
                on=args.engine,
                grants=Path(args.history) if args.history else None,
                ignore=tuple(ignore),
            )
        except batch.InputError as exc:
            return self.fail(f"--input {args.input}: {exc}")
        except EngineUnavailable as exc:
            return self.fail(str(exc))
        for b in result.bad:
            self.err.print(
                f"[yellow]row {b.row}, column {escape(b.column)}:[/] {escape(b.problem)}; the row is left out"
            )
        if result.bad_rows > len({b.row for b in result.bad}):
            self.err.print(f"[yellow]…{result.bad_rows} row(s) left out in all[/]")
        if not args.json:
            read = [c for c in result.columns if c.column is not None]
            summary = Table(title="values read from each column", title_justify="left", box=None)
            for heading in ("input", "column", "values", "refused"):
                summary.add_column(heading, justify="right" if heading in ("values", "refused") else "left")
            for c in read:
                refused_text = f"[yellow]{c.refused:,}[/]" if c.refused else "0"
                summary.add_row(escape(c.input), escape(c.column or ""), f"{c.given:,}", refused_text)
            if read:
                self.err.print(summary)
            absent = [c.input for c in result.columns if c.column is None]
            if absent:
                names = "、".join(absent[:12]) + (f" … and {len(absent) - 12} more" if len(absent) > 12 else "")
                self.err.print(f"{len(absent)} input(s) have no column, so are missing in every row: {escape(names)}")
        self.err.print(
            f"[green]evaluated {result.rows} row(s) under {len(programs)} polic(ies) as of "
            f"{as_of.isoformat()}; wrote {escape(args.out)}[/]"
        )
        if args.json:
            self.out.print(
                to_json(
                    {
                        "out": args.out,
                        "as_of": as_of.isoformat(),
                        "rows": result.rows,
                        "rows_left_out": result.bad_rows,
                        "policies": list(programs),
                        "bad_values": [attrs.asdict(b) for b in result.bad],
                        "columns": [attrs.asdict(c) for c in result.columns],
                    }
                ),
                markup=False,
            )
        return EXIT_OK

    def synth(self, args: argparse.Namespace) -> int:
        if (refused := self.apart(args.out, args.policies, "the population")) is not None:
            return refused
        compiled = self.checked(args.policies)
        if isinstance(compiled, int):
            return compiled
        from pol.compiler.population import synth

        programs = [lower(c.policy, c.source.path) for c in compiled]  # type: ignore[arg-type]
        names = list(dict.fromkeys(i.name for p in programs for i in p.inputs))
        text = synth.csv_text(names, synth.population(programs, args.rows, args.seed))
        write_file(Path(args.out), text)  # staged beside the file and moved into place
        self.err.print(f"[green]wrote {args.rows} applicant(s), {len(names)} column(s), to {escape(args.out)}[/]")
        if args.json:
            self.out.print(
                to_json({"out": args.out, "rows": args.rows, "seed": args.seed, "columns": names}), markup=False
            )
        return EXIT_OK

    def simulate(self, args: argparse.Namespace) -> int:
        from pol.compiler.population import batch, reform, simulate  # DuckDB is imported only when a simulation runs

        loaded = self.evaluator(args.policy)
        if isinstance(loaded, int):
            return loaded
        compiled, _ = loaded
        as_of = _as_of(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        if not Path(args.input).is_file():
            return self.fail(f"--input {args.input}: no such file")
        if args.markdown and args.report and overlapping(Path(args.markdown), [Path(args.report)]):
            return self.fail(f"--markdown and --report are both {args.report}: give each output its own file")
        for target in (args.markdown, args.report):
            if target and (refused := self.apart(target, [args.policy, args.input, args.reform], "the report")):
                return refused
        assert compiled.policy is not None  # self.evaluator returns only policies that checked
        base = lower(compiled.policy, compiled.source.path)
        try:
            title, changes = reform.read_reform(Path(args.reform)) if args.reform else ("", [])
            changes += [reform.parse_set(text) for text in args.set or []]
            if not changes:
                return self.fail("give a reform: --reform REFORM.toml or --set CLAUSE.FIGURE=VALUE")
            changed = reform.apply(base, changes)
        except reform.ReformError as exc:
            return self.fail_all("the reform does not fit the policy:", exc.problems)
        title = title or "；".join(f"{c.clause} {c.figure} 调为 {c.to}" for c in changes)
        try:
            result = simulate.simulate(base, changed, Path(compiled.source.path).stem, Path(args.input), as_of, title)
        except batch.InputError as exc:
            return self.fail(f"--input {args.input}: {exc}")
        summary = simulate.markdown(result)
        if args.markdown:
            write_file(Path(args.markdown), summary)
        if args.report:
            write_file(Path(args.report), simulate.report(result))
        if args.json:
            self.out.print(to_json(attrs.asdict(result)), markup=False, soft_wrap=True)
        else:
            self.out.print(summary, markup=False, highlight=False)
        return EXIT_OK

    def evaluator(self, path: str) -> tuple[Compiled, Any] | int:
        compiled, ok = self.compile([path])
        if not compiled:
            return self.fail(f"no .pol file at {path}")
        if not ok:
            return EXIT_POLICY_ERRORS
        return compiled[0], load_evaluator(python_source(compiled[0]), _module_name(Path(path)))

    def eval(self, args: argparse.Namespace) -> int:
        loaded = self.evaluator(args.policy)
        if isinstance(loaded, int):
            return loaded
        compiled, module = loaded
        facts = read_json(args.facts)
        if isinstance(facts, str):
            return self.fail(facts)
        as_of = _as_of(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        wanted = set(args.clause) if args.clause else None
        if wanted:
            unknown = wanted - {c.id for c in compiled.policy.clauses}  # type: ignore[union-attr]
            if unknown:
                return self.fail("no clause called " + ", ".join(sorted(unknown)))
        try:
            evaluation = module.evaluate(facts, as_of=as_of, clauses=wanted)
        except runtime.FactsError as exc:
            return self.fail_all(f"the facts in {args.facts} do not fit the policy:", exc.problems)
        if args.json:
            self.out.print(to_json(evaluation.to_json()), markup=False, soft_wrap=True)
        else:
            self.print_evaluation(evaluation)
        if wanted or args.complete:
            # Asked for particular clauses, or for a complete answer: a missing fact is the caller's error.
            lacking = [r for r in evaluation.results if r.status == "needs_facts"]
            if lacking:
                for r in lacking:
                    self.err.print(
                        f"[bold red]error:[/] clause {escape(r.id)} needs the facts: {escape('、'.join(r.missing))}"
                    )
                return EXIT_BAD_INPUT
        return EXIT_OK

    def profile_and_policies(
        self, args: argparse.Namespace, file: str = "profile", as_of: datetime.date | None = None
    ) -> tuple[Any, dict[str, Any], Any] | int:
        """The profile's (or project's) JSON, the compiled policies and `--as-of` (else `as_of`), or the exit code."""
        day = date_or_error(args.as_of) if args.as_of else as_of
        if isinstance(day, str):
            return self.fail(day)
        compiled = self.checked(args.policies)
        if isinstance(compiled, int):
            return compiled
        raw = read_json(getattr(args, file), f"{file} file")
        if isinstance(raw, str):
            return self.fail(raw)
        try:
            return raw, load_policies(compiled), day
        except ProfileError as exc:
            return self.fail_all("the policies cannot be told apart:", exc.problems)

    def eval_profile(self, args: argparse.Namespace) -> int:
        loaded = self.profile_and_policies(args)
        if isinstance(loaded, int):
            return loaded
        try:
            ledger = evaluate_profile(*loaded)
        except ProfileError as exc:
            return self.fail_all(f"the profile {args.profile} cannot be evaluated:", exc.problems)
        # Each entry is judged on its own date; `as_of` is the cut-off, null when every event counts.
        as_of = loaded[2].isoformat() if loaded[2] else None
        if args.json:
            self.out.print(to_json({"as_of": as_of, **ledger.to_json()}), markup=False, soft_wrap=True)
        else:
            self.out.print(
                f"（各事项按其日期评估；{'截至 ' + as_of + ' 的事项' if as_of else '包括档案中的全部事项'}）\n"
            )
            self.print_ledger(ledger)
        return EXIT_OK

    def compare(self, args: argparse.Namespace) -> int:
        from pol.compiler.ledger.compare import compare, times
        from pol.compiler.site.comparison import comparison_page

        if (
            args.markdown
            and (refused := self.apart(args.markdown, [args.project, *args.policies], "the comparison")) is not None
        ):
            return refused
        loaded = self.profile_and_policies(args, "project")
        if isinstance(loaded, int):
            return loaded
        try:
            comp = compare(*loaded)
        except ProfileError as exc:
            return self.fail_all(f"the project {args.project} cannot be compared:", exc.problems)
        if args.markdown:
            write_file(Path(args.markdown), comparison_page(comp))
            self.err.print(f"[green]wrote {escape(args.markdown)}[/]")
        if args.json:
            self.out.print(to_json(comp.to_json()), markup=False, soft_wrap=True)
            return EXIT_OK
        table = Table(title=f"{comp.project.name}（按 {comp.as_of.isoformat()} 有效的条款）", show_lines=True)
        table.add_column("事项")
        for col in comp.columns:
            table.add_column(escape(col.label))
        table.add_row("政策", *(escape(c.policy.title) for c in comp.columns))
        table.add_row("状态", *(escape(c.standing) for c in comp.columns))
        for row in comp.rows:
            best = comp.best(row)
            table.add_row(
                escape(row),
                *(
                    "\n".join(
                        (f"[bold green]{escape(x.text)}[/]" if best is not None and x.value == best else escape(x.text))
                        + f"（{escape(x.reference + times(n))}）"
                        for x, n in c.shown(row)
                    )
                    or "—"
                    for c in comp.columns
                ),
            )
        table.add_row("确定金额合计", *(runtime.format_money(c.evaluation.determined) for c in comp.columns))
        table.add_row("含上限金额合计", *(runtime.format_money(c.evaluation.maximum) for c in comp.columns))
        table.add_row("其余尚缺信息的条款", *(f"{comp.unmatched(c)} 条" for c in comp.columns))
        self.out.print(table)
        return EXIT_OK

    def match(self, args: argparse.Namespace) -> int:
        loaded = self.profile_and_policies(args, as_of=datetime.date.today())
        if isinstance(loaded, int):
            return loaded
        as_of = loaded[2]
        try:
            found = match(*loaded, args.item)
        except ProfileError as exc:
            return self.fail_all(f"the profile {args.profile} cannot be matched:", exc.problems)
        if args.json:
            self.out.print(
                to_json({"as_of": as_of.isoformat(), "matches": [m.to_json() for m in found]}),
                markup=False,
                soft_wrap=True,
            )
            return EXIT_OK
        table = Table(title=f"可能适用的条款（{as_of.isoformat()} 有效的政策）", show_lines=True)
        for name in ("政策", "条款", "金额", "结论"):
            table.add_column(name, justify="right" if name == "金额" else "left")
        for m in found:
            amount = (
                "" if m.amount is None else ("" if m.status == "granted" else "最高 ") + runtime.format_money(m.amount)
            )
            table.add_row(
                escape(m.policy.title), escape(f"{m.clause.article or ''} {m.clause.id}"), amount, escape(m.verdict)
            )
        self.out.print(table)
        return EXIT_OK

    def print_ledger(self, ledger: Ledger) -> None:
        for year in ledger.years():
            self.out.print(f"[bold]{escape(ledger.enterprise)} {year} 年[/]")
            for e in (e for e in ledger.entries if e.year == year):
                o = e.origin
                source = o.name if o.clause is None else f"{o.name} {o.clause.id}"
                item = f"［{e.item}］" if e.item else ""
                self.out.print(f"  {e.date.isoformat()}  {escape(source)} {escape(item)}")
                if e.status in ("granted", "discretionary", "external"):
                    cut = f"（按条款计算 {runtime.format_money(e.computed)}，核减后）" if e.cuts else ""
                    self.out.print(f"      [bold]{LEDGER_STATUS[e.status]}：{runtime.format_money(e.amount)}[/]{cut}")
                else:
                    self.out.print(f"      [bold]{LEDGER_STATUS.get(e.status, e.status)}[/]")
                for step in e.explanation:
                    self.out.print(f"      · {escape(step)}")
            granted, most = ledger.total(year, "granted"), ledger.total(year, "discretionary")
            line = f"  {year} 年合计：确定 {runtime.format_money(granted)}"
            if most:
                line += f"；另有待主管部门审定的，最高 {runtime.format_money(most)}"
            self.out.print(line + "\n")

    def print_evaluation(self, ev: runtime.Evaluation) -> None:
        table = Table(title=f"{ev.title}（评估日期 {ev.as_of.isoformat()}）", show_lines=True)
        for name in ("条款", "条文", "结果", "金额", "计算过程"):
            table.add_column(name, overflow="fold")
        for r in ev.results:
            if r.amount is not None:
                amount = runtime.format_money(r.amount)
            elif r.max_amount is not None:
                low = f"{runtime.format_money(r.min_amount)} 至 " if r.min_amount is not None else "最高 "
                amount = low + runtime.format_money(r.max_amount)
            else:
                amount = "—"
            style = {
                "granted": "green",
                "discretionary": "cyan",
                "case_by_case": "cyan",
                "needs_facts": "yellow",
                "expired": "red",
                "not_yet_effective": "red",
            }.get(r.status, "dim")
            table.add_row(
                escape(r.id),
                escape(r.clause.article or ""),
                f"[{style}]{runtime.STATUS_TEXT[r.status]}[/]",
                amount,
                escape("\n".join(r.explanation)),
            )
        self.out.print(table)
        self.out.print(
            f"确定金额合计：{runtime.format_money(ev.determined)}；含上限金额合计：{runtime.format_money(ev.maximum)}"
        )
        for note in ev.notes:
            self.out.print(escape(note))

    def inputs(self, args: argparse.Namespace) -> int:
        from pol.compiler.check.schema import input_schema, profile_schema

        if args.profile:
            checked = self.checked(args.paths)
            if isinstance(checked, int):
                return checked
            try:
                policy_keys([c.source.path for c in checked])
            except ProfileError as exc:
                return self.fail_all("the policies cannot be told apart:", exc.problems)
            schema = profile_schema({Path(c.source.path).stem: c.policy for c in checked})  # type: ignore[misc]
            self.out.print(to_json(schema), markup=False, soft_wrap=True)
            return EXIT_OK
        if len(args.paths) != 1:
            return self.fail("give one policy, or --profile for a profile across several")
        compiled, ok = self.compile(args.paths)
        if not compiled:
            return self.fail(f"no .pol file at {args.paths[0]}")
        if not ok:
            return EXIT_POLICY_ERRORS
        schema = input_schema(compiled[0].policy)  # type: ignore[arg-type]
        self.out.print(to_json(schema), markup=False, soft_wrap=True)
        return EXIT_OK

    def test(self, args: argparse.Namespace) -> int:
        from pol.compiler.evaluate import jsrun

        compiled, ok = self.compile(args.paths)
        if not compiled:
            return self.fail("no .pol files found in " + ", ".join(args.paths))
        passed = failed = 0
        report: list[dict[str, Any]] = []
        coverage: list[dict[str, Any]] = []
        for c in compiled:
            if not c.ok:
                continue
            if args.coverage:
                coverage.append(self.coverage_of(c))
            outcomes: list[Outcome | TotalOutcome]
            if args.target == "js":
                try:
                    outcomes = [*jsrun.run_examples(c), *jsrun.run_policy_examples(c)]
                except jsrun.NoNode as exc:
                    return self.fail(str(exc))
            else:
                module = load_evaluator(python_source(c), _module_name(Path(c.source.path)))
                assert c.policy is not None
                outcomes = [*run_examples(c.policy, module), *run_policy_examples(c.policy, module)]
            for o in outcomes:
                where = f"{c.source.path}:{o.example.span.line}"
                # A document's own examples are of every clause: their total, after the limits.
                clause = o.clause.id if isinstance(o, Outcome) else "全文合计"
                report.append(
                    {
                        "file": c.source.path,
                        "line": o.example.span.line,
                        "clause": o.clause.id if isinstance(o, Outcome) else None,
                        "example": o.example.name,
                        "passed": o.passed,
                        "expected": o.expected,
                        "got": o.got,
                        "explanation": list(o.explanation),
                    }
                )
                if args.json:
                    passed, failed = passed + o.passed, failed + (not o.passed)
                    continue
                if o.passed:
                    passed += 1
                    if args.verbose:
                        self.out.print(f"[green]PASS[/] {escape(where)} {escape(clause)}: {escape(o.example.name)}")
                    continue
                failed += 1
                self.out.print(f"[bold red]FAIL[/] {escape(where)} {escape(clause)}: {escape(o.example.name)}")
                self.out.print(f"  expected: {escape(o.expected)}")
                self.out.print(f"  got:      {escape(o.got)}")
                for step in o.explanation:
                    self.out.print(f"    {escape(step)}")
        broken = sum(not c.ok for c in compiled)
        if args.json:
            self.out.print(
                to_json(
                    {
                        "passed": passed,
                        "failed": failed,
                        "files_with_errors": broken,
                        "target": args.target,
                        "examples": report,
                        **({"coverage": coverage} if args.coverage else {}),
                    }
                ),
                markup=False,
            )
            return EXIT_OK if ok and not failed else EXIT_POLICY_ERRORS
        if args.coverage:
            self.print_coverage(coverage)
        summary = f"{passed} passed, {failed} failed"
        if broken:
            summary += f", {broken} file(s) with errors"
        self.out.print(summary, markup=False, soft_wrap=True)
        return EXIT_OK if ok and not failed else EXIT_POLICY_ERRORS

    def diff(self, args: argparse.Namespace) -> int:
        """The revision between two versions: header fields, clauses added, removed and changed, examples' outcomes."""
        from pol.compiler.drafting.diff import diff

        compiled, ok = self.compile([args.old, args.new])
        if not ok:
            return EXIT_POLICY_ERRORS
        if len(compiled) != 2:
            return self.fail("give two .pol files: the earlier version and the later one")
        result = diff(compiled[0], compiled[1])
        if args.json:
            self.out.print(
                to_json({"old": args.old, "new": args.new, **result.to_json()}), markup=False, soft_wrap=True
            )
            return EXIT_OK
        self.out.print(f"修订对照：{args.old} → {args.new}", markup=False)
        for label, before, after in result.header:
            self.out.print(f"{label}：{before} → {after}", markup=False)
        for what, before, after in result.rules:
            self.out.print(f"{what}：{before} → {after}", markup=False)
        kinds = {"added": "新增", "removed": "删除", "changed": "修改"}
        for c in result.clauses:
            self.out.print(
                f"\n{kinds[c.kind]}条款 {c.clause}" + (f"（{c.article}）" if c.article else ""), markup=False
            )
            if c.before is not None and c.before != c.after:
                self.out.print(f"  原：{c.before}", markup=False)
            if c.after is not None and c.before != c.after:
                self.out.print(f"  现：{c.after}", markup=False)
            for e in c.effects:
                self.out.print(f"  算例“{e.example}”：{e.before} → {e.after}", markup=False)
        if not result.header and not result.clauses and not result.rules:
            self.out.print("两个版本的规则相同。", markup=False)
        return EXIT_OK

    def lsp(self, args: argparse.Namespace) -> int:
        """Serve the language server protocol on standard input and output until the editor closes it."""
        try:
            from pol.compiler.drafting.lsp import main as serve_lsp
        except ImportError as exc:
            return self.fail(f"pol lsp needs {exc.name}: pip install 'pol[lsp]'")
        serve_lsp()
        return EXIT_OK

    def fmt(self, args: argparse.Namespace) -> int:
        """Lay out each file the one way; with --check, only say which are not."""
        from pol.compiler.drafting.fmt import format_text, unparsed

        files = policy_files(args.paths)
        if not files:
            return self.fail("no .pol files found in " + ", ".join(args.paths))
        changed, broken = [], []
        for path in files:
            try:
                text, bom = read_source(path, MAX_SOURCE_BYTES)
            except (OSError, UnicodeDecodeError) as exc:
                return self.fail(f"{path}: cannot read it as UTF-8 text ({exc})")
            if (error := unparsed(text, str(path))) is not None:
                broken.append(str(path))
                self.err.print(
                    f"{escape(str(path))}:{error.span.line}:{error.span.column}: not formatted, it does not parse: "
                    f"{escape(error.message)}",
                    markup=False,
                )
                continue
            formatted = format_text(text)
            if formatted != text:
                changed.append(str(path))
                if not args.check:
                    # Staged beside the file and moved into place: its mode, BOM and symbolic link kept.
                    write_file(path, ("\ufeff" if bom else "") + formatted, like=path)
        done = len(files) - len(changed) - len(broken)
        unparsed_note = f", {len(broken)} not formatted (they do not parse)" if broken else ""
        if args.json:
            key = "changed" if not args.check else "unformatted"
            self.out.print(to_json({"checked": len(files), key: changed, "not_parsed": broken}), markup=False)
        elif args.check:
            for name in changed:
                self.err.print(f"would reformat {escape(name)}")
            self.err.print(f"{done} file(s) already formatted, {len(changed)} would be reformatted{unparsed_note}")
        else:
            self.err.print(f"reformatted {len(changed)} file(s), {done} already formatted{unparsed_note}")
        return EXIT_POLICY_ERRORS if broken or (args.check and changed) else EXIT_OK

    def coverage_of(self, c: Compiled) -> dict[str, Any]:
        """What of a policy its worked examples exercise (`pol test --coverage`), as JSON."""
        from pol.compiler.drafting.coverage import policy_coverage

        assert c.policy is not None
        module = load_evaluator(python_source(c), _module_name(Path(c.source.path)))
        program = lower(c.policy, c.source.path)
        clauses = policy_coverage(c.policy, program, module)
        # What no facts can exercise (proved with pol prove, when it is installed) is left out of the total.
        impossible: dict[str, list[Any]] = {}
        try:
            from pol.compiler.drafting.prove import feasible
        except ImportError:
            feasible = None  # type: ignore[assignment]
        if feasible is not None:
            by_id = {x.id: x for x in program.clauses}
            for x in clauses:
                impossible[x.clause] = [g for g in x.gaps if feasible(program, by_id[x.clause], g.event) is False]
        clauses = [
            attrs.evolve(
                x,
                total=x.total - len(impossible.get(x.clause, [])),
                gaps=tuple(g for g in x.gaps if g not in impossible.get(x.clause, [])),
            )
            for x in clauses
        ]
        thresholds = sum(
            x.thresholds - sum(g.kind == "threshold" for g in impossible.get(x.clause, [])) for x in clauses
        )
        return {
            "file": c.source.path,
            "proved_impossible": sum(len(v) for v in impossible.values()),
            "covered": sum(x.covered for x in clauses),
            "total": sum(x.total for x in clauses),
            "thresholds": {
                "covered": thresholds - sum(g.kind == "threshold" for x in clauses for g in x.gaps),
                "total": thresholds,
            },
            "clauses": [
                {
                    "clause": x.clause,
                    "article": x.article,
                    "covered": x.covered,
                    "total": x.total,
                    "gaps": [{"kind": g.kind, "what": g.what} for g in x.gaps],
                    "impossible": [{"kind": g.kind, "what": g.what} for g in impossible.get(x.clause, [])],
                }
                for x in clauses
            ],
        }

    def print_coverage(self, coverage: list[dict[str, Any]]) -> None:
        """Each policy's coverage, then each clause with what no worked example exercises."""
        self.out.print("算例覆盖（条件成立与不成立、各档、表中各行、上限起与不起作用）：", markup=False, soft_wrap=True)
        for policy in coverage:
            share = f"{policy['covered'] / policy['total']:.0%}" if policy["total"] else "—"
            t = policy["thresholds"]
            sides = f"  门槛两侧 {t['covered']}/{t['total']}" if t["total"] else ""
            self.out.print(f"{policy['file']}  {policy['covered']}/{policy['total']}  {share}{sides}", markup=False)
            for x in policy["clauses"]:
                where = f"{x['clause']} {x['article'] or ''}".strip()
                if x["gaps"]:
                    missing = "；".join(g["what"] for g in x["gaps"])
                    self.out.print(f"  {where}  {x['covered']}/{x['total']}  未覆盖：{missing}", markup=False)
                if x["impossible"]:
                    never = "；".join(g["what"] for g in x["impossible"])
                    self.out.print(f"  {where}  不计入（pol prove 证明任何事实都不会出现）：{never}", markup=False)

    def all(self, args: argparse.Namespace) -> int:
        """Run every step of the project's pipeline, showing progress; stop at the first that fails, with its output."""
        import io
        import subprocess
        import time

        from pol.compiler.cli.arguments import main
        from pol.compiler.cli.project import ProjectError, read_project, steps

        try:
            project = read_project(Path(args.project))
        except ProjectError as exc:
            return self.fail(str(exc))
        plan: list[tuple[str, list[str] | None]] = list(steps(project))
        site_config = Path(project.out) / "site" / "mkdocs.yml"
        if not args.no_site:
            plan.append(("site", None))
        results: list[dict[str, Any]] = []
        for number, (name, argv) in enumerate(plan, 1):
            started = time.perf_counter()
            buffer = io.StringIO()
            quiet = Cli(
                Console(file=buffer, width=120, highlight=False, soft_wrap=True),
                Console(file=buffer, width=120, highlight=False, soft_wrap=True),
            )
            with self.err.status(f"[{number}/{len(plan)}] {name}…"):
                if argv is not None:
                    code = main(argv, quiet)
                    shown = " ".join(["pol", *argv])
                else:
                    try:
                        import mkdocs  # noqa: F401
                    except ImportError:
                        return self.fail("the site step needs MkDocs: pip install 'pol[site]' (or pass --no-site)")
                    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(site_config)]
                    run = subprocess.run(command, capture_output=True, text=True)
                    buffer.write(run.stdout + run.stderr)
                    code = EXIT_OK if run.returncode == 0 else EXIT_POLICY_ERRORS
                    shown = " ".join(command[2:])
            took = time.perf_counter() - started
            results.append({"step": name, "command": shown, "exit": code, "seconds": round(took, 2)})
            if code != EXIT_OK:
                self.err.print(f"[bold red]✗ [{number}/{len(plan)}] {name}[/] failed ({escape(shown)}):")
                self.err.print(escape(buffer.getvalue().rstrip()), markup=False)
                if args.json:
                    self.out.print(to_json({"ok": False, "steps": results}), markup=False, soft_wrap=True)
                return code
            self.err.print(f"[green]✓[/] [{number}/{len(plan)}] {name:<6} {took:5.1f} s  [dim]{escape(shown)}[/]")
        where = Path(project.out)
        self.err.print(
            f"[green]done:[/] evaluators in {escape(str(where / 'evaluators'))}, "
            + (
                f"the website in {escape(str(where / 'site' / 'site'))}"
                if not args.no_site
                else f"the MkDocs project in {escape(str(where / 'site'))}"
            )
        )
        if args.json:
            self.out.print(to_json({"ok": True, "steps": results}), markup=False, soft_wrap=True)
        return EXIT_OK

    def serve(self, args: argparse.Namespace) -> int:
        """Serve the policies over HTTP until interrupted; `kill -HUP` reloads them without dropping requests."""
        try:
            import uvicorn

            from pol.compiler.server.app import create_app
        except ImportError as exc:
            return self.fail(f"pol serve needs {exc.name}: pip install 'pol[serve]'")
        from pol.api import PolicyError

        if not 1 <= args.port <= 65535:
            return self.fail(f"--port {args.port}: give a port from 1 to 65535")
        if args.max_body < 1:
            return self.fail(f"--max-body {args.max_body}: give the largest body to read, in bytes (at least 1)")
        if not 0 < args.time_limit <= 86400:  # also refuses nan and inf
            return self.fail(f"--time-limit {args.time_limit}: give the seconds one request may compute (0 to 86400)")
        if not 0 <= args.processes <= 64:
            return self.fail(f"--processes {args.processes}: give 0 to 64 worker processes")
        try:
            app = create_app(
                args.paths,
                max_body=args.max_body,
                reload_on_sighup=True,
                time_limit=args.time_limit,
                processes=args.processes,
            )
        except PolicyError as exc:
            self.err.print(escape(str(exc)), markup=False)
            return EXIT_POLICY_ERRORS
        except FileNotFoundError as exc:
            return self.fail(str(exc))
        # Bound before "serving" is said: a busy port or an address not of this machine is a clear error.
        try:
            family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((args.host, args.port))
        except (OSError, OverflowError) as exc:
            return self.fail(f"cannot listen on {args.host}:{args.port}: {getattr(exc, 'strerror', None) or exc}")
        self.err.print(
            f"serving {len(app.state.service.current.policies)} policies on http://{args.host}:{args.port} "
            f"(API reference at /docs; kill -HUP {os.getpid()} reloads them)",
            markup=False,
        )
        config = uvicorn.Config(app, access_log=not args.no_access_log, log_level="info")
        uvicorn.Server(config).run(sockets=[sock])
        return EXIT_OK


def _chosen_clauses(programs: dict[str, Any], ids: list[str]) -> dict[str, Any] | str:
    """The programs with only the named clauses (and their limits, over those of them that remain), or what is
    wrong: a name that is no clause of any policy, with the closest one."""
    import difflib

    import attrs

    known = {c.id for p in programs.values() for c in p.clauses}
    wrong = [i for i in ids if i not in known]
    if wrong:
        hints = []
        for w in wrong:
            close = difflib.get_close_matches(w, sorted(known), n=1)
            hints.append(f"{w}" + (f" (did you mean {close[0]}?)" if close else ""))
        return f"--clause: no clause {', '.join(hints)} in the policies"
    out = {}
    for key, program in programs.items():
        clauses = tuple(c for c in program.clauses if c.id in ids)
        if not clauses:
            continue
        kept = {c.id for c in clauses}
        limits = []
        for lim in program.limits:
            if lim.clauses is None:
                limits.append(lim)
            elif set(lim.clauses) & kept:
                limits.append(attrs.evolve(lim, clauses=tuple(c for c in lim.clauses if c in kept)))
        # Only the definitions and facts the kept clauses and limits read: the run asks for no other column.
        lets = {let.name: let for let in program.lets}
        names = ir.inputs_in((clauses, tuple(limits)))
        pending = [n for n in names if n in lets]
        while pending:
            for n in ir.inputs_in(lets[pending.pop()].value) - names:
                names.add(n)
                if n in lets:
                    pending.append(n)
        out[key] = attrs.evolve(
            program,
            clauses=clauses,
            limits=tuple(limits),
            lets=tuple(let for let in program.lets if let.name in names),
            inputs=tuple(i for i in program.inputs if i.name in names),
        )
    return out


def _bare_key_hint(path: Path, exc: Exception) -> str:
    """A hint when a TOML line names a key in Chinese without quotes, which TOML's ASCII-only bare keys refuse."""
    if not isinstance(exc, tomllib.TOMLDecodeError):
        return ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        key = line.split("=", 1)[0].strip()
        if "=" in line and key and not key.startswith(("'", '"', "#")) and not key.isascii():
            return f'; line {number}: a name in Chinese is quoted in TOML, as in "{key}" = "column"'
    return ""


def _as_of(args: argparse.Namespace) -> datetime.date | str:
    """The day of --as-of, today when it is not given, or the message saying it is not a date."""
    return date_or_error(args.as_of) if args.as_of else datetime.date.today()


def _module_name(path: Path) -> str:
    """The module name of a policy's evaluator, as Python imports it: NFKC, so ﬁ.pol and fi.pol are one."""
    name = re.sub(r"\W", "_", unicodedata.normalize("NFKC", path.stem))
    return name if name and not name[0].isdigit() else f"policy_{name}"


def _unimportable(name: str, target: str = "python") -> str | None:
    """Why an evaluator of this name cannot sit beside the others and be imported, or None.

    A JavaScript module is imported by its path, so only the runtime's own files are in its way; a Python
    module is imported by its name, so it must not hide a module Python or the installed packages (pol's own
    API among them) would find first.
    """
    if target == "js":
        from pol.compiler.backends import js as js_backend

        taken = {Path(f).stem.casefold() for f in dict(js_backend.runtime_files())}
        return "is a file of the runtime every evaluator imports" if name.casefold() in taken else None
    if name == RUNTIME_MODULE:
        return "is the runtime every evaluator imports"
    if name in sys.stdlib_module_names:
        return f"would hide Python's own module {name}"
    if keyword.iskeyword(name):
        return "is a Python keyword and cannot be imported"
    if name in _installed_modules():
        return f"would hide the installed module {name} (from {', '.join(_installed_modules()[name])})"
    return None


@functools.cache
def _installed_modules() -> Mapping[str, list[str]]:
    """The top-level modules of the installed distributions (pol among them), each with its distributions."""
    import importlib.metadata

    return importlib.metadata.packages_distributions()
