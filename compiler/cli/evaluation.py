"""`pol` commands: evaluating for one applicant or enterprise: eval, inputs, eval-profile, compare, match."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from pol.compiler import runtime
from pol.compiler.check.report import escape, to_json
from pol.compiler.cli.arguments import EXIT_BAD_INPUT, EXIT_OK, EXIT_POLICY_ERRORS, date_or_error
from pol.compiler.cli.base import Command, as_of_day
from pol.compiler.evaluate.jsonfile import read_json
from pol.compiler.files import write_file
from pol.compiler.ledger.entries import LEDGER_STATUS, Ledger
from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.match import match
from pol.compiler.ledger.policies import ProfileError, load_policies, policy_keys
from pol.compiler.ledger.profile import PROFILE_FIELDS
from pol.compiler.lower import lower


class Evaluation(Command):
    """Evaluating for one applicant or enterprise: eval, inputs, eval-profile, compare, match."""

    def eval(self, args: argparse.Namespace) -> int:
        loaded = self.evaluator(args.policy)
        if isinstance(loaded, int):
            return loaded
        compiled, module = loaded
        facts = read_json(args.facts)
        if isinstance(facts, str):
            return self.fail(facts)
        # An enterprise profile (as the site's 政策计算器 exports it) gives its facts; items and events are the
        # business of `pol eval-profile` and `pol match`.
        if isinstance(facts, dict) and isinstance(facts.get("facts"), dict) and set(facts) <= set(PROFILE_FIELDS):
            facts = facts["facts"]
        as_of = as_of_day(args)
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
        changes: dict[str, list[dict[str, Any]]] = {}
        if args.why_not:
            from pol.compiler.evaluate.why_not import hints, why_not

            assert compiled.policy is not None
            hint = hints(lower(compiled.policy, compiled.source.path))
            for r in evaluation.results:
                changes[r.id] = [c.to_json() for c in why_not(module, facts, r.id, hint[r.id], as_of)]
        if args.json:
            payload = evaluation.to_json()
            if args.why_not:
                for clause in payload["clauses"]:
                    clause["why_not"] = changes.get(clause["id"], [])
            self.out.print(to_json(payload), markup=False, soft_wrap=True)
        else:
            self.print_evaluation(evaluation)
            for cid, found in changes.items():
                for change in found:
                    self.out.print(f"[bold]{escape(cid)}[/]：{escape(change['text'])}")
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
        for c in ledger.clawbacks:
            o = c.entry.origin
            self.out.print(
                f"[bold red]应收回[/] {escape(o.name)} {escape(o.clause.id if o.clause else '')}"
                f"（{c.entry.date.isoformat()} 获得）{runtime.format_money(c.amount)}："
                f"{c.date.isoformat()} 起不再符合“{escape(c.promise)}”"
            )

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
