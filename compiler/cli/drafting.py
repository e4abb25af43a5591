"""`pol draft`: a policy's original text drafted as a checked `.pol` skeleton, and measured against a hand encoding."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from pol.compiler.check.report import escape
from pol.compiler.cli.arguments import EXIT_OK, EXIT_POLICY_ERRORS
from pol.compiler.cli.base import Command

if TYPE_CHECKING:
    from pol.compiler.drafting.draft.against import Comparison


class Drafting(Command):
    def draft(self, args: argparse.Namespace) -> int:
        from pol.compiler.drafting.draft import compare, draft_text
        from pol.compiler.drafting.draft.source import SourceError, read_original
        from pol.compiler.evaluate.pipeline import compile_file, compile_text
        from pol.compiler.files import write_file

        path = Path(args.original)
        try:
            text = read_original(path)
        except SourceError as exc:
            return self.fail(str(exc))
        out = Path(args.out) if args.out else None
        drafted = draft_text(text, (out or path).stem)
        compiled = compile_text(drafted.text, str(out or path.with_suffix(".pol")))
        summary = {
            "original": str(path),
            "clauses": drafted.clauses,
            "measures": drafted.measures,
            "todos": drafted.todos,
            "figures": drafted.figures,
            "errors": sum(d.severity == "error" for d in compiled.diagnostics),
        }
        if out is not None:
            write_file(out, drafted.text)
        against = None
        if args.against:
            hands = [compile_file(Path(p)) for p in args.against]
            bad = [str(h.source.path) for h in hands if not h.ok]
            if bad:
                return self.fail("the hand encodings have errors: " + ", ".join(bad))
            assert compiled.policy is not None
            against = compare(compiled.policy, [h.policy for h in hands if h.policy is not None])
            summary["against"] = against.to_json()
        if args.format == "json":
            self.out.print(json.dumps(summary, ensure_ascii=False, indent=2), markup=False, highlight=False)
        else:
            if out is None:
                self.out.print(drafted.text, markup=False, highlight=False, end="")
            said = (
                f"起草 {drafted.clauses} 个条款、{drafted.measures} 个措施，{drafted.todos} 处待定（todo），"
                f"原文数字 {drafted.figures} 个"
            )
            self.err.print(said + (f"，已写入 {escape(str(out))}" if out else ""))
            if against is not None:
                self.print_against(against)
        return EXIT_OK if summary["errors"] == 0 else EXIT_POLICY_ERRORS

    def print_against(self, against: Comparison) -> None:
        from pol.compiler.drafting.draft.against import VERDICTS

        table = Table(title="与手工编码逐条对照", show_lines=False)
        for name in ("条目", "手工条款", "草稿条款", "结论"):
            table.add_column(name)
        for p in against.pairs:
            table.add_row(escape(p.article or ""), escape(p.hand), escape(p.draft or "—"), VERDICTS[p.verdict])
        self.err.print(table)
        exact, total = against.count("exact"), against.hand_clauses
        rate = f"{exact / total:.0%}" if total else "—"
        self.err.print(
            f"手工条款 {total} 个：一致 {exact}（{rate}），数字一致写法不同 {against.count('figures')}，"
            f"不一致 {against.count('differs')}，未起草 {against.count('missing')}；草稿多出 {against.count('extra')}；"
            f"编造的数字 {against.invented} 个"
        )
