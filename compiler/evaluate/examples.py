"""Run the worked examples written in policy files against their compiled evaluators."""

from __future__ import annotations

import datetime
import types
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.runtime import ClauseResult, format_money
from pol.dsl import ast


@attrs.frozen
class Outcome:
    """One worked example's result: whether it passed, what was expected and what the evaluator gave."""

    clause: ast.Clause
    example: ast.Example
    passed: bool
    expected: str
    got: str
    explanation: list[str]


def _value(e: ast.Expr) -> Any:
    match e:
        case ast.Quantity(value=v):
            return v
        case ast.Name(id=i):
            return i
        case ast.BoolLit(value=v):
            return v
        case ast.DateLit(value=v):
            return v
        case ast.Text(value=v):
            return v
    raise TypeError(e)


def describe_expectation(x: ast.Expect) -> str:
    match x.kind:
        case "amount":
            return f"应得 {format_money(x.amount.value)}" if x.amount else "?"
        case "up_to":
            return f"最高 {format_money(x.amount.value)}（金额由主管部门确定）" if x.amount else "?"
        case "range":
            assert x.low and x.high
            return f"{format_money(x.low.value)} 至 {format_money(x.high.value)}"
        case "not_eligible":
            return "不符合条件"
        case "case_by_case":
            return "一事一议"


def describe_result(r: Any) -> str:
    """A clause result in words (a ClauseResult, or one read back from JSON)."""
    if r.status == "granted" and r.amount is not None:
        return f"应得 {format_money(r.amount)}"
    if r.status == "discretionary":
        if r.min_amount is not None and r.max_amount is not None and r.min_amount == r.max_amount:
            return f"区间上下限均为 {format_money(r.max_amount)}（金额由主管部门确定）"
        if r.min_amount is not None and r.max_amount is not None:
            return f"{format_money(r.min_amount)} 至 {format_money(r.max_amount)}"
        if r.max_amount is not None:
            return f"最高 {format_money(r.max_amount)}（金额由主管部门确定）"
    if r.status == "needs_facts":
        return "需补充信息：" + "、".join(r.missing)
    return {"not_eligible": "不符合条件", "case_by_case": "一事一议"}.get(r.status, r.status)


def _matches(x: ast.Expect, r: ClauseResult) -> bool:
    def eq(q: ast.Quantity | None, v: Decimal | None) -> bool:
        return q is not None and v is not None and q.value == v

    match x.kind:
        case "amount":
            return r.status == "granted" and eq(x.amount, r.amount)
        case "up_to":
            return r.status == "discretionary" and r.min_amount is None and eq(x.amount, r.max_amount)
        case "range":
            return r.status == "discretionary" and eq(x.low, r.min_amount) and eq(x.high, r.max_amount)
        case "not_eligible":
            return r.status == "not_eligible"
        case "case_by_case":
            return r.status == "case_by_case"


def example_date(policy: CheckedPolicy) -> datetime.date:
    """Examples are evaluated on the day the policy took effect, so they do not change with the calendar."""
    for key in ("effective", "issued"):
        value = policy.header.get(key)
        if isinstance(value, datetime.date):
            return value
    return datetime.date(2000, 1, 1)


def example_facts(ex: ast.Example | ast.PolicyExample) -> dict[str, Any]:
    """An example's facts, as validated values."""
    return {f.name.id: _value(f.value) for f in ex.facts}


def outcome(clause: ast.Clause, ex: ast.Example, result: Any) -> Outcome:
    """An example's outcome from its clause's result (a ClauseResult, or one read back from JSON)."""
    return Outcome(
        clause=clause,
        example=ex,
        passed=_matches(ex.expect, result),
        expected=describe_expectation(ex.expect),
        got=describe_result(result),
        explanation=list(result.explanation),
    )


@attrs.frozen
class TotalOutcome:
    """A worked example of the whole document: the total expected after its limits, and the total given."""

    example: ast.PolicyExample
    passed: bool
    expected: str
    got: str
    explanation: list[str]


# What is offered: a result with an amount, or one to be decided (a comparison and a document example list these).
OFFERED = ("granted", "discretionary", "case_by_case")


def describe_total(determined: Decimal, maximum: Decimal) -> str:
    if maximum == 0:
        return "不符合任何条款"
    if determined == maximum:
        return f"合计应得 {format_money(determined)}"
    return f"合计确定 {format_money(determined)}，最高 {format_money(maximum)}"


def total_matches(x: ast.Expect, determined: Decimal, maximum: Decimal) -> bool:
    """Whether totals match an expectation: `expect X` is the determined total (with nothing left to the
    authority), `expect up to X` the total at its most, `expect not_eligible` nothing at all."""
    match x.kind:
        case "amount":
            return x.amount is not None and determined == maximum == x.amount.value
        case "up_to":
            return x.amount is not None and maximum == x.amount.value
        case "not_eligible":
            return determined == maximum == 0
    return False


def total_outcome(ex: ast.PolicyExample, determined: Decimal, maximum: Decimal, lines: list[str]) -> TotalOutcome:
    """A document example's outcome from the totals (of an Evaluation, or read back from JSON)."""
    expected = "不符合任何条款" if ex.expect.kind == "not_eligible" else "合计" + describe_expectation(ex.expect)
    return TotalOutcome(
        ex, total_matches(ex.expect, determined, maximum), expected, describe_total(determined, maximum), lines
    )


def run_policy_examples(policy: CheckedPolicy, module: types.ModuleType) -> list[TotalOutcome]:
    """Evaluate every worked example of the whole document: all clauses, then the limits."""
    out = []
    for ex in policy.examples:
        ev = module.evaluate(example_facts(ex), as_of=example_date(policy), validated=True)
        lines = [f"{r.id}：{describe_result(r)}" for r in ev.results if r.status in OFFERED] + list(ev.notes)
        out.append(total_outcome(ex, ev.determined, ev.maximum, lines))
    return out


def run_examples(policy: CheckedPolicy, module: types.ModuleType) -> list[Outcome]:
    """Evaluate every worked example of every clause and compare it with its expectation."""
    outcomes = []
    as_of = example_date(policy)
    for clause in policy.clauses:
        for ex in clause.examples:
            result = module.evaluate(example_facts(ex), as_of=as_of, clauses={clause.id}, validated=True).results[0]
            outcomes.append(outcome(clause, ex, result))
    return outcomes
