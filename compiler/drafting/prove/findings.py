"""What `pol prove` finds: the properties, one finding per property and clause, and how each is shown (a worked
example to paste, a diagnostic at the clause); and the two ways the solver is asked."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import z3

from pol.compiler import ir
from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.runtime import format_quantity
from pol.dsl.diagnostics import CODES, Diagnostic, T, Text, error, warning
from pol.dsl.source import SourceFile, Span

# Each property: its code, whether a counterexample is an error, and what it promises, in Chinese.
# A negative amount, overlapping tiers and a cap that never binds are the checker's POL305, POL303 and POL304, which
# it finds where the bounds are figures; the solver finds them wherever they are (through conditions, definitions).
PROPERTIES = {
    "POL305": (True, "非负：任何事实下条款金额都不小于零"),
    "POL701": (True, "可达：存在能获得资助的事实"),
    "POL702": (False, "单调：金额或面积更多，所得不会更少"),
    "POL703": (True, "分档无缺口：两档之间的每个值都属于某一档"),
    "POL303": (True, "分档不重叠：有上下限的两档不会同时包含同一个值"),
    "POL304": (True, "上限起作用：每个上限在某些事实下会限制金额"),
    "POL704": (True, "守约：条款所得不超过原文写明的最高额"),
    "POL705": (False, "限额不低于单个条款：文件的限额不会削减一个条款单独应得的金额"),
    "POL706": (False, "条件有两面：每个条件在某些事实下成立，在另一些事实下不成立"),
    "POL707": (True, "有效期：施行之前和失效之后不支付"),
    "POL708": (True, "不重复：同一事项的两个条款不会都足额支付（不可重复享受、从优就高）"),
}
TIMEOUT_MS = 5_000
HALF_FEN = Decimal("0.005")
BEYOND = 10**13  # 10万亿元: an amount a clause with a ceiling of its own never reaches
OFFERED = ("granted", "discretionary", "case_by_case")  # statuses that offer money, the most of which is the amount


@attrs.frozen
class Finding:
    """One property of one clause: proved, broken (with the facts that break it), or undecided."""

    clause: str
    code: str
    status: str  # "proved", "broken", "undecided"
    message: Text
    example: str | None = None  # a worked example block showing the break, as the evaluator computes it
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "code": self.code,
            "property": PROPERTIES[self.code][1],
            "status": self.status,
            "message": self.message.zh,
            "message_en": self.message.en,
            "example": self.example,
        }


def solve(timeout_ms: int, *constraints: Any) -> tuple[str, z3.ModelRef | None]:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)
    result = solver.check()
    if result == z3.sat:
        return "sat", solver.model()
    return ("unsat" if result == z3.unsat else "unknown"), None


def largest(timeout_ms: int, objective: Any, *constraints: Any) -> z3.ModelRef | None:
    """A model of the constraints with the objective at its largest, when the solver finds one (a bounded
    objective): a counterexample at the clause's own maximum reads better than one a fen past a figure."""
    opt = z3.Optimize()
    opt.set("timeout", timeout_ms)
    opt.add(*constraints)
    handle = opt.maximize(objective)
    if opt.check() != z3.sat:
        return None
    bound = opt.upper(handle)
    return opt.model() if z3.is_rational_value(bound) or z3.is_int_value(bound) else None


def expect_clause(result: Any) -> str:
    """The `expect` a worked example states for a clause result: expect 200万元, up to, a range, not_eligible."""
    money = lambda v: format_quantity(v, "money")  # noqa: E731
    status = str(result.status)
    if status == "granted" and result.amount is not None:
        return money(result.amount)
    if status == "discretionary" and result.max_amount is not None:
        if result.min_amount is not None:
            return f"{money(result.min_amount)} to {money(result.max_amount)}"
        return f"up to {money(result.max_amount)}"
    return {"case_by_case": "case_by_case"}.get(status, "not_eligible")


def literal(spec: ir.Input, value: Any) -> str:
    """A fact as a worked example writes it: 5000万元, 40%, 500平方米, III期, true, 2022-06-30."""
    if spec.kind == "bool":
        return "true" if value else "false"
    if spec.kind == "enum":
        return str(value)
    if spec.kind == "date":
        return value.isoformat()
    if spec.kind == "number":
        return format(Decimal(value).normalize(), "f")
    return format_quantity(Decimal(value), spec.kind, spec.currency, spec.area)


def diagnostics(policy: CheckedPolicy, findings: list[Finding], source: SourceFile) -> list[Diagnostic]:
    """The broken and undecided findings as diagnostics at the clause (or the tier or cap line) they are about."""
    spans = {c.id: c.id_span for c in policy.clauses}
    out = []
    for f in findings:
        if f.status == "proved":
            continue
        span = spans[f.clause]
        if f.line and f.line != span.line:  # the line of the tiers or the cap: from its first word to its end
            text = source.line_text(f.line)
            start = len(text) - len(text.lstrip()) + 1
            span = Span(file=span.file, line=f.line, column=start, end_line=f.line, end_column=len(text.rstrip()) + 1)
        is_error, promise = PROPERTIES[f.code]
        make: Callable[..., Diagnostic] = error if is_error and f.status == "broken" else warning
        notes = [T(f"性质：{promise}", f"property: {CODES[f.code].removesuffix(' (pol prove)')} must not happen")]
        if f.example:
            notes.append(T(f"可粘贴的算例：\n{f.example}", f"a worked example to paste:\n{f.example}"))
        message = T(f"条款“{f.clause}”：", f"clause '{f.clause}': ") + f.message
        out.append(make(f.code, message, span, *notes))
    return sorted(out, key=lambda d: (d.span.line, d.span.column, d.code))
