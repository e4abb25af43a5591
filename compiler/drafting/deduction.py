"""The order of deduction and cap an original states (剔除已获支持后…最高不超过), checked against the rule's."""

from __future__ import annotations

import re
from collections.abc import Callable

from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, T, error
from pol.dsl.source import SourceFile, Span

# A deduction followed, in the same sentence, by a ceiling: the text deducts first and caps what is left.
_DEDUCT_THEN_CAP = re.compile(
    r"(?:剔除|扣除|扣减|减去|抵扣)[^。；;]{0,40}?后[^。；;]{0,40}?(?:最高|不超过|不高于|上限|封顶)"
)


def deduct_then_cap(
    clause: ast.Clause, source: SourceFile, locate: Callable[[SourceFile, ast.Text, str], Span]
) -> list[Diagnostic]:
    """An error when the original deducts before it caps and the rule caps before it deducts (POL607)."""
    if clause.original is None or not clause.offsets or not clause.caps:
        return []
    found = _DEDUCT_THEN_CAP.search(clause.original.value)
    if found is None or any(cap.after_offsets for cap in clause.caps if not cap.derived):
        return []
    cap = next(cap for cap in clause.caps if not cap.derived)
    return [
        error(
            "POL607",
            T(
                f"条款“{clause.id}”的原文先扣除、后封顶（“{found.group(0)}”），规则却先封顶、再扣除",
                f"the original of clause '{clause.id}' deducts before it caps ('{found.group(0)}'), "
                "but its rule caps before it deducts",
            ),
            locate(source, clause.original, found.group(0)),
            T(
                f"在第 {cap.span.line} 行的上限后写 `after offsets`（扣除后），使它在扣除之后适用",
                f"write `after offsets` after the cap at line {cap.span.line} so it applies after the deduction",
            ),
        )
    ]
