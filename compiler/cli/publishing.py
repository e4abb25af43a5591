"""`pol` commands: what pol writes for others: evaluators (build), the website (docs), the whole pipeline (all)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from pol.compiler import runtime
from pol.compiler.backends.python import RUNTIME_MODULE
from pol.compiler.check.report import escape, to_json
from pol.compiler.cli.arguments import EXIT_OK, EXIT_POLICY_ERRORS
from pol.compiler.cli.base import Command, as_of_day, module_name, unimportable
from pol.compiler.evaluate.examples import run_examples
from pol.compiler.evaluate.jsonfile import read_json
from pol.compiler.evaluate.pipeline import (
    load_evaluator,
    python_source,
)
from pol.compiler.files import NotOurs, replace_folder
from pol.compiler.ledger.policies import ProfileError, load_policies
from pol.compiler.lower import lower


class Publishing(Command):
    """What pol writes for others: evaluators (build), the website (docs), the whole pipeline (all)."""

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
            name = module_name(Path(path))
            suffix = ".mjs" if args.target == "js" else ".py"
            if (why := unimportable(name, args.target)) is not None:
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
        as_of = as_of_day(args)
        if isinstance(as_of, str):
            return self.fail(as_of)
        policies: list[SitePolicy] = []
        for c in compiled:
            assert c.policy is not None
            slug = site_slug(module_name(Path(c.source.path)))
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
            names = [module_name(Path(g)).casefold() if what == "project" else Path(g).name.casefold() for g in given]
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
        slugs = {Path(c.source.path).stem: site_slug(module_name(Path(c.source.path))) for c in compiled}
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
                (module_name(Path(path)), comp.project.name or Path(path).stem, comparison_page(comp, slugs, as_of))
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
            quiet = type(self)(
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
