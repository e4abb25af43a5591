"""`pol` commands: the drafter's commands: check, lint, prove, inventory, test (with coverage), diff, fmt."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import attrs
from rich.table import Table

from pol.compiler.check.report import escape, print_diagnostics, render_json, to_json
from pol.compiler.cli.arguments import EXIT_OK, EXIT_POLICY_ERRORS
from pol.compiler.cli.base import Command, module_name
from pol.compiler.evaluate.examples import Outcome, TotalOutcome, run_examples, run_policy_examples
from pol.compiler.evaluate.pipeline import (
    MAX_SOURCE_BYTES,
    Compiled,
    load_evaluator,
    policy_files,
    python_source,
)
from pol.compiler.files import read_source, write_file
from pol.compiler.lower import lower
from pol.dsl.diagnostics import T, Text


class Authoring(Command):
    """The drafter's commands: check, lint, prove, inventory, test (with coverage), diff, fmt."""

    def check(self, args: argparse.Namespace) -> int:
        compiled, ok = self.compile(args.paths, args.format)
        if args.format == "text":
            errors = sum(d.severity == "error" for c in compiled for d in c.diagnostics)
            if not compiled:
                return self.fail("no .pol files found in " + ", ".join(args.paths))
            n = len(compiled)
            said = T(f"已检查 {n} 个文件：没有错误", f"checked {n} file(s): no errors") if ok else None
            said = said or T(f"{n} 个文件中有 {errors} 个错误", f"{errors} error(s) in {n} file(s)")
            self.err.print(f"[{'green' if ok else 'red'}]{said.get(self.lang)}[/]")
        return EXIT_OK if ok else EXIT_POLICY_ERRORS

    def lint(self, args: argparse.Namespace) -> int:
        from pol.compiler.drafting.lint import lint

        compiled = self.checked(args.paths)
        if isinstance(compiled, int):
            return compiled
        found = {c.source.path: lint(c.policy, c.source) for c in compiled}  # type: ignore[arg-type]
        diagnostics = [d for ds in found.values() for d in ds]
        if args.format == "json":
            self.out.print(render_json(diagnostics, self.lang), markup=False, highlight=False)
        elif diagnostics:
            print_diagnostics(diagnostics, {c.source.path: c.source for c in compiled}, self.err, self.lang)
        errors = sum(d.severity == "error" for d in diagnostics)
        warnings = len(diagnostics) - errors
        if args.format == "text":
            colour = "red" if errors else "yellow" if warnings else "green"
            said = T(
                f"已检查 {len(compiled)} 个文件的原文：{errors} 个错误，{warnings} 个警告",
                f"linted {len(compiled)} file(s): {errors} error(s), {warnings} warning(s)",
            )
            self.err.print(f"[{colour}]{said.get(self.lang)}[/]")
        return EXIT_POLICY_ERRORS if errors else EXIT_OK

    def prove(self, args: argparse.Namespace) -> int:
        """Each clause's properties, proved or broken with the facts that break them (compiler/drafting/prove/)."""
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
            module = load_evaluator(python_source(c), module_name(Path(c.source.path)))
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
            print_diagnostics(diagnostics, {c.source.path: c.source for c in compiled}, self.err, self.lang)
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

    def test(self, args: argparse.Namespace) -> int:
        from pol.compiler.evaluate import jsrun

        compiled, ok = self.compile(args.paths)
        if not compiled:
            return self.fail("no .pol files found in " + ", ".join(args.paths))
        passed = failed = 0
        report: list[dict[str, Any]] = []
        coverage: list[dict[str, Any]] = []
        untested: list[str] = []  # policies without one worked example: "0 failed" would say nothing of them
        for c in compiled:
            if not c.ok:
                continue
            assert c.policy is not None
            if not c.policy.examples and not any(cl.examples for cl in c.policy.clauses):
                untested.append(c.source.path)
            if args.coverage:
                coverage.append(self.coverage_of(c))
            outcomes: list[Outcome | TotalOutcome]
            if args.target == "js":
                try:
                    outcomes = [*jsrun.run_examples(c), *jsrun.run_policy_examples(c)]
                except jsrun.NoNode as exc:
                    return self.fail(str(exc))
            else:
                module = load_evaluator(python_source(c), module_name(Path(c.source.path)))
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
                        "files_without_examples": untested,
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
        for path in untested:
            self.err.print(
                f"[bold yellow]warning:[/] {escape(path)}: "
                + (
                    "没有算例：在条款中写 `example`，用原文的数字手算期望金额"
                    if self.lang == "zh"
                    else "no worked examples: write an `example` in the clauses, with amounts computed by hand"
                )
            )
        self.out.print(_tested(passed, failed, broken).get(self.lang), markup=False, soft_wrap=True)
        return EXIT_OK if ok and not failed else EXIT_POLICY_ERRORS

    def coverage_of(self, c: Compiled) -> dict[str, Any]:
        """What of a policy its worked examples exercise (`pol test --coverage`), as JSON."""
        from pol.compiler.drafting.coverage import policy_coverage

        assert c.policy is not None
        module = load_evaluator(python_source(c), module_name(Path(c.source.path)))
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
                where = f"{escape(str(path))}:{error.span.line}:{error.span.column}: "
                said = T("无法解析，未重排：", "not formatted, it does not parse: ").get(self.lang)
                self.err.print(where + said + escape(error.message_in(self.lang)), markup=False)
                continue
            formatted = format_text(text)
            if formatted != text:
                changed.append(str(path))
                if not args.check:
                    # Staged beside the file and moved into place: its mode, BOM and symbolic link kept.
                    write_file(path, ("\ufeff" if bom else "") + formatted, like=path)
        done = len(files) - len(changed) - len(broken)
        if args.json:
            key = "changed" if not args.check else "unformatted"
            self.out.print(to_json({"checked": len(files), key: changed, "not_parsed": broken}), markup=False)
        else:
            for name in changed if args.check else ():
                self.err.print(T(f"需要重排：{escape(name)}", f"would reformat {escape(name)}").get(self.lang))
            self.err.print(_formatted(args.check, done, len(changed), len(broken)).get(self.lang))
        return EXIT_POLICY_ERRORS if broken or (args.check and changed) else EXIT_OK


def _tested(passed: int, failed: int, broken: int) -> Text:
    """`pol test`'s last line."""
    said = T(f"算例通过 {passed} 个，未通过 {failed} 个", f"{passed} passed, {failed} failed")
    return said + T(f"，{broken} 个文件有错误", f", {broken} file(s) with errors") if broken else said


def _formatted(check: bool, done: int, changed: int, broken: int) -> Text:
    """`pol fmt`'s last line: what was (or would be) rewritten, and what does not parse."""
    if check:
        said = T(
            f"{done} 个文件格式已规范，{changed} 个需要重排",
            f"{done} file(s) already formatted, {changed} would be reformatted",
        )
    else:
        said = T(
            f"已重排 {changed} 个文件，{done} 个格式已规范", f"reformatted {changed} file(s), {done} already formatted"
        )
    return (
        said + T(f"，{broken} 个无法解析、未重排", f", {broken} not formatted (they do not parse)") if broken else said
    )
