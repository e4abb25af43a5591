"""Properties a clause has within its document and the ledger: the document's limits leave it what it alone pays
(POL705), nothing is paid outside the policy's dates (POL707), one subject is not paid twice (POL708)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import z3

from pol.compiler import ir
from pol.compiler.drafting.prove.findings import BEYOND, HALF_FEN, OFFERED, Finding, largest, solve
from pol.compiler.drafting.prove.smt import Facts, Translator, Unsupported, clause_terms
from pol.compiler.runtime import CASH, format_quantity
from pol.dsl.diagnostics import T

if TYPE_CHECKING:
    from pol.compiler.drafting.prove.prover import Prover
    from pol.compiler.drafting.prove.smt import ClauseTerms


def under_limits(prover: Prover, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
    """No document limit cuts what this clause pays on its own, with nothing received before."""
    limits = [
        lim
        for lim in prover.program.limits
        if clause.support in CASH and (lim.clauses is None or clause.id in lim.clauses)
    ]
    if not limits or ta.amount is None:
        return Finding(
            clause.id, "POL705", "proved", T("没有限额约束本条", "no limit binds this clause"), line=clause.line
        )
    # A clause with no ceiling of its own (50万 per discipline) is meant to be bounded by the limit; one whose
    # amount has a ceiling above the limit promises what the document then takes back.
    unbounded, _ = solve(prover.timeout, *a.bounds, ta.grants, ta.amount > BEYOND)
    if unbounded != "unsat":
        return Finding(
            clause.id,
            "POL705",
            "proved",
            T("本条金额没有自己的上限，由限额约束", "the clause has no cap of its own; the limit bounds it"),
            line=clause.line,
        )
    t = Translator(a)
    nothing_before = [a.vars[i.name] == 0 for i in prover.program.inputs if i.received is not None]
    for lim in limits:
        try:
            value = t.expr(lim.value)
        except Unsupported as exc:
            return Finding(
                clause.id,
                "POL705",
                "undecided",
                T(
                    f"未能判定：限额用到了尚不支持证明的写法（{exc}）",
                    f"undecided: the limit uses a form the prover does not cover yet ({exc})",
                ),
            )
        verdict, model = solve(
            prover.timeout, *a.bounds, *nothing_before, ta.grants, value.defined,
            ta.amount >= value.value + z3.RealVal(str(HALF_FEN)),
        )  # fmt: skip
        if verdict == "unknown":
            return prover.undecided(clause, "POL705", clause.line)
        if verdict != "sat" or model is None:
            continue
        model = largest(prover.timeout, ta.amount, *a.bounds, *nothing_before, ta.grants) or model
        facts = a.read(model)
        ev = prover.module.evaluate(facts, as_of=prover.as_of, clauses=clause.id, validated=True)
        status, amount = prover.evaluate(clause, facts)
        if status != "granted" or amount is None or ev.maximum >= amount:
            return prover.unconfirmed(clause, "POL705")
        return Finding(
            clause.id,
            "POL705",
            "broken",
            T(
                f"本条单独应得 {format_quantity(amount, 'money')}，限额“{lim.label}”只允许 "
                f"{format_quantity(ev.maximum, 'money')}：本条的承诺在以下事实下不能兑现",
                f"the clause alone is due {format_quantity(amount, 'money')}, the limit '{lim.label}' allows "
                f"{format_quantity(ev.maximum, 'money')}: the clause's promise cannot be kept on these facts",
            ),
            prover.example(clause, facts, "被限额削减"),
            clause.line,
        )
    return Finding(clause.id, "POL705", "proved", T("已证明", "proved"), line=clause.line)


def in_force_only(prover: Prover, clause: ir.Clause, facts: dict[str, Any]) -> Finding:
    """Facts that grant on a day in force grant nothing the day before it takes effect or after it expires.

    The evaluators judge the date before any fact, so facts that grant on one day in force stand for all:
    the property is decided by evaluating them on the two days outside.
    """
    days = []
    if prover.program.effective is not None:
        days.append(prover.program.effective - datetime.timedelta(days=1))
    if prover.program.expires is not None:
        days.append(prover.program.expires + datetime.timedelta(days=1))
    for day in days:
        result = prover.module.evaluate(facts, as_of=day, clauses=clause.id, validated=True).results[0]
        if str(result.status) in OFFERED:
            return Finding(
                clause.id,
                "POL707",
                "broken",
                T(
                    f"{day.isoformat()} 不在有效期内，以下事实却可获得资助",
                    f"{day.isoformat()} is outside the policy's dates, yet these facts are granted money",
                ),
                prover.example(clause, facts, "有效期外"),
                clause.line,
            )
    said = (
        T("已证明", "proved")
        if days
        else T("未写明施行和失效日期：任何日期都有效", "no dates are stated: every day is in force")
    )
    return Finding(clause.id, "POL707", "proved", said, line=clause.line)


def stacked(prover: Prover, clause: ir.Clause) -> Finding:
    """Two clauses for the same subject (不可重复享受, 从优就高) are never both paid in full for one item.

    The solver finds facts on which this clause and another of its subject both grant; the ledger then
    evaluates an enterprise that applied for the other first and this one after, for the same item: this one
    must pay nothing (不可重复享受) or at most the difference (从优就高).
    """
    program = prover.program
    rule = "不可重复享受" if clause.exclusive else "从优就高不重复" if program.best_only and program.region else None
    group = [c for c in program.clauses if c.subject and c.subject == clause.subject and c.id != clause.id]
    if clause.subject is None or not group:
        return Finding(
            clause.id,
            "POL708",
            "proved",
            T("没有同一事项的其他条款", "no other clause for the same subject"),
            line=clause.line,
        )
    checked, unruled = 0, 0
    for other in group:
        rule_here = rule or ("不可重复享受" if other.exclusive else None)
        if rule_here is None:
            unruled += 1
            continue
        facts = Facts(program, "a")
        t = Translator(facts)
        try:
            mine, theirs = clause_terms(clause, t), clause_terms(other, t)
        except Unsupported as exc:
            return Finding(
                clause.id,
                "POL708",
                "undecided",
                T(
                    f"未能判定：规则用到了尚不支持证明的写法（{exc}）",
                    f"undecided: the rule uses a form the prover does not cover yet ({exc})",
                ),
            )
        if mine.amount is None or theirs.amount is None:
            continue
        verdict, model = solve(
            prover.timeout, *facts.bounds, mine.grants, theirs.grants, mine.amount >= 1, theirs.amount >= 1
        )  # a yuan at least each: amounts that round to nothing show nothing
        if verdict != "sat" or model is None:
            continue
        given = {k: v for k, v in facts.read(model).items() if prover.inputs[k].received is None}
        raw = {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in given.items()}
        day = prover.as_of.isoformat()
        profile = {
            "enterprise": "同一企业",
            "events": [
                {"date": day, "policy": "p", "clause": c.id, "item": "同一事项", "facts": raw} for c in (other, clause)
            ],
            "items": {"同一事项": {"name": "同一事项", "facts": {}}},
        }
        checked += 1
        entries = prover.ledger(profile)
        if entries is None:
            return Finding(
                clause.id,
                "POL708",
                "undecided",
                T("未能判定：台账无法计算这组事实", "undecided: the ledger cannot compute these facts"),
            )
        first, second = entries
        _, alone = prover.evaluate(clause, given)
        allowed = Decimal(0) if rule_here == "不可重复享受" else max((alone or Decimal(0)) - first, Decimal(0))
        if second > allowed:
            return Finding(
                clause.id,
                "POL708",
                "broken",
                T(
                    f"同一事项已获“{other.id}” {format_quantity(first, 'money')}，本条按“{rule_here}”应至多支付 "
                    f"{format_quantity(allowed, 'money')}，台账却支付 {format_quantity(second, 'money')}",
                    f"the subject already had {format_quantity(first, 'money')} from '{other.id}'; by {rule_here} this "
                    f"clause pays at most {format_quantity(allowed, 'money')}, but the ledger pays "
                    f"{format_quantity(second, 'money')}",
                ),
                line=clause.line,
            )
    if checked:
        said = T(
            "已证明（台账对同一事项先后两项只付一次）", "proved (the ledger pays one of two grants for one subject)"
        )
    elif unruled == len(group):
        said = T(
            "同一事项的其他条款没有不可重复享受或从优就高的规定",
            "the other clauses for the subject state no 不可重复享受 or 从优就高",
        )
    else:
        said = T(
            "同一事项的条款不会对同一事实都给予资助", "the clauses for the subject never both grant on the same facts"
        )
    return Finding(clause.id, "POL708", "proved", said, line=clause.line)
