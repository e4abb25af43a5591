"""The prover of one policy: each clause's facts as SMT terms, the properties about its amount asked of the solver
(POL305, POL701, POL702, POL304, POL704, POL706), the others (tiers, the document, the ledger) from their modules,
and the bridge to the Python evaluator that confirms every counterexample and writes it as a worked example."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs
import z3

from pol.compiler import ir
from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.drafting.lint import stated_ceilings
from pol.compiler.drafting.prove.document import in_force_only, stacked, under_limits
from pol.compiler.drafting.prove.findings import (
    HALF_FEN,
    OFFERED,
    PROPERTIES,
    TIMEOUT_MS,
    Finding,
    expect_clause,
    literal,
    solve,
)
from pol.compiler.drafting.prove.smt import ClauseTerms, Facts, Translator, Unsupported, clause_terms
from pol.compiler.drafting.prove.tiers import tiers
from pol.compiler.ir import inputs_in
from pol.compiler.runtime import format_quantity
from pol.dsl.diagnostics import T


class Prover:
    """The properties of every clause of one policy."""

    def __init__(self, policy: CheckedPolicy, program: ir.Program, module: Any, timeout_ms: int = TIMEOUT_MS):
        self.policy, self.program, self.module, self.timeout = policy, program, module, timeout_ms
        self.inputs = {i.name: i for i in program.inputs}
        self.written = {c.id: c for c in policy.clauses}
        self.granting: dict[str, dict[str, Any]] = {}  # facts that grant, by clause, found while proving it reachable
        self.as_of = program.effective or datetime.date.today()
        if program.expires is not None and self.as_of > program.expires:
            self.as_of = program.expires

    def findings(self) -> Iterator[Finding]:
        for clause in self.program.clauses:
            yield from self.clause(clause)

    def ledger(self, profile: dict[str, Any]) -> tuple[Decimal, Decimal] | None:
        """The amounts the ledger pays the two events of a profile of this policy (keyed `p`), or None."""
        from pol.compiler.ledger.evaluation import evaluate_profile
        from pol.compiler.ledger.policies import Policy, ProfileError

        try:
            entries = evaluate_profile(profile, {"p": Policy("p", self.policy, self.module)}, None).entries
        except ProfileError:
            return None
        amounts = [e.amount if e.amount is not None else Decimal(0) for e in entries]
        return (amounts[0], amounts[1]) if len(amounts) == 2 else None

    def evaluate(self, clause: ir.Clause, facts: dict[str, Any]) -> tuple[str, Decimal | None]:
        """The clause's status for the facts, and its amount (the most it can be, for an up-to grant), or None."""
        result = self.module.evaluate(facts, as_of=self.as_of, clauses=clause.id, validated=True).results[0]
        status = "granted" if str(result.status) in OFFERED else str(result.status)
        return status, result.amount if result.amount is not None else result.max_amount

    def example(self, clause: ir.Clause, facts: dict[str, Any], name: str) -> str:
        """The facts as an example block, with what the evaluator computes for them."""
        used = inputs_in((clause.conditions, clause.grant, clause.caps, clause.offsets))
        used |= {n for let in used & set(self.program.let_inputs) for n in self.program.let_inputs[let]}
        shown = [f"{n} = {literal(self.inputs[n], v)}" for n, v in facts.items() if n in used and n in self.inputs]
        result = self.module.evaluate(facts, as_of=self.as_of, clauses=clause.id, validated=True).results[0]
        expect = expect_clause(result)
        return f'example "{name}" {{ ' + "  ".join(shown) + f"  expect {expect} }}"

    def clause(self, clause: ir.Clause) -> Iterator[Finding]:
        a = Facts(self.program, "a")
        try:
            ta = clause_terms(clause, Translator(a))
        except Unsupported as exc:
            for code in PROPERTIES:
                yield Finding(
                    clause.id,
                    code,
                    "undecided",
                    T(
                        f"未能判定：规则用到了尚不支持证明的写法（{exc}）",
                        f"undecided: the rule uses a form the prover does not cover yet ({exc})",
                    ),
                    line=clause.line,
                )
            return
        yield self.nonnegative(clause, a, ta)
        yield self.within_stated(clause, a, ta)
        yield self.reachable(clause, a, ta)
        yield from self.monotone(clause)
        yield from tiers(self, clause)
        yield from self.caps(clause, a, ta)
        yield under_limits(self, clause, a, ta)
        yield self.two_sided(clause, a)
        yield stacked(self, clause)
        granting = self.granting.get(clause.id)
        yield (
            in_force_only(self, clause, granting)
            if granting is not None
            else Finding(
                clause.id,
                "POL707",
                "proved",
                T("本条不能获得资助，有效期外亦然", "the clause grants nothing, outside its dates too"),
                line=clause.line,
            )
        )

    def unconfirmed(self, clause: ir.Clause, code: str) -> Finding:
        """Undecided: the solver's facts, rounded to steps a person writes, do not break it in the evaluator."""
        return Finding(
            clause.id,
            code,
            "undecided",
            T(
                "未能判定：求解器的反例未能在求值器中复现",
                "undecided: the evaluator does not reproduce the solver's counterexample",
            ),
            line=clause.line,
        )

    def undecided(self, clause: ir.Clause, code: str, line: int = 0) -> Finding:
        return Finding(
            clause.id,
            code,
            "undecided",
            T(
                f"未能判定：求解器在 {self.timeout / 1000:g} 秒内没有结论",
                f"undecided: the solver found no answer in {self.timeout / 1000:g} s",
            ),
            line=line,
        )

    def nonnegative(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        if ta.amount is None:
            return Finding(
                clause.id,
                "POL305",
                "proved",
                T("一事一议，无金额", "decided case by case: no amount"),
                line=clause.line,
            )
        verdict, model = solve(self.timeout, *a.bounds, ta.grants, ta.amount <= -HALF_FEN)  # below 0 at the fen
        if verdict == "unsat":
            return Finding(clause.id, "POL305", "proved", T("已证明", "proved"), line=clause.line)
        if verdict == "unknown" or model is None:
            return self.undecided(clause, "POL305", clause.line)
        facts = a.read(model)
        _, amount = self.evaluate(clause, facts)
        return Finding(
            clause.id,
            "POL305",
            "broken",
            T(
                f"以下事实下条款金额为负（{format_quantity(amount, 'money') if amount is not None else '无法计算'}）",
                f"the amount is negative on these facts ({format_quantity(amount, 'money') if amount is not None else 'cannot be computed'})",
            ),
            self.example(clause, facts, "金额为负"),
            clause.line,
        )

    def within_stated(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        """The clause never pays more than the largest amount its original states as the most (最高, 上限 …)."""
        written = self.written[clause.id]
        stated = stated_ceilings(written.original.value) if written.original is not None else []
        if not stated or ta.amount is None:
            return Finding(
                clause.id,
                "POL704",
                "proved",
                T("原文没有写明最高额", "the original states no ceiling"),
                line=clause.line,
            )
        most = max(stated, key=lambda f: f.value)
        # Past it by half a fen at least: what rounds back to the figure pays no more than the text says.
        verdict, model = solve(self.timeout, *a.bounds, ta.grants, ta.amount >= z3.RealVal(str(most.value + HALF_FEN)))
        if verdict == "unsat":
            return Finding(clause.id, "POL704", "proved", T("已证明", "proved"), line=clause.line)
        if verdict == "unknown" or model is None:
            return self.undecided(clause, "POL704", clause.line)
        facts = a.read(model)
        status, amount = self.evaluate(clause, facts)
        if status != "granted" or amount is None or amount <= most.value:
            return self.unconfirmed(clause, "POL704")
        return Finding(
            clause.id,
            "POL704",
            "broken",
            T(
                f"原文“{most.text}”是最高额，但以下事实应得 {format_quantity(amount, 'money')}",
                f"the original's ceiling is {most.text}, but these facts are due {format_quantity(amount, 'money')}",
            ),
            self.example(clause, facts, f"超过原文的最高额{most.text}"),
            clause.line,
        )

    def two_sided(self, clause: ir.Clause, a: Facts) -> Finding:
        """Each condition can hold and can fail: one that cannot fail says nothing, one that cannot hold shuts the clause."""
        t = Translator(a)
        for c in clause.conditions:
            term = t.expr(c.expr)
            for holds in (True, False):
                verdict, _ = solve(self.timeout, *a.bounds, term.defined, term.value if holds else z3.Not(term.value))
                if verdict == "unknown":
                    return self.undecided(clause, "POL706", c.line)
                if verdict == "unsat":
                    said = (
                        T("都不成立，本条不能获得资助", "holds on no facts: the clause grants nothing")
                        if holds
                        else T(
                            "都成立，等于没有这个条件；请核对原文的门槛",
                            "holds on all facts, as if it were not there; check the original's threshold",
                        )
                    )
                    message = T(f"条件“{c.text}”在任何事实下", f"the condition '{c.text}' ") + said
                    return Finding(clause.id, "POL706", "broken", message, line=c.line)
        return Finding(clause.id, "POL706", "proved", T("已证明", "proved"), line=clause.line)

    def reachable(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        positive = [ta.amount > 0] if clause.grant.mode != "case_by_case" and ta.amount is not None else []
        verdict, model = solve(self.timeout, *a.bounds, ta.grants, *positive)
        if verdict == "sat" and model is not None:
            self.granting[clause.id] = a.read(model)
            return Finding(clause.id, "POL701", "proved", T("已证明", "proved"), line=clause.line)
        if verdict == "unknown":
            return self.undecided(clause, "POL701", clause.line)
        return Finding(
            clause.id,
            "POL701",
            "broken",
            T(
                "任何事实下本条都不能获得资助：条件互相矛盾，或金额总为零",
                "no facts grant anything: the conditions contradict each other, or the amount is always zero",
            ),
            line=clause.line,
        )

    def _pair(self, clause: ir.Clause, real: bool = False) -> tuple[Facts, Facts, ClauseTerms, ClauseTerms]:
        a, b = Facts(self.program, "a", real), Facts(self.program, "b", real)
        return a, b, clause_terms(clause, Translator(a)), clause_terms(clause, Translator(b))

    def monotone(self, clause: ir.Clause) -> Iterator[Finding]:
        for real in (False, True):  # whole numbers first; where the solver cannot say, over the reals
            found = list(self._monotone(clause, real))
            if not any(f.status == "undecided" for f in found):
                break
        yield from found

    def _monotone(self, clause: ir.Clause, real: bool) -> Iterator[Finding]:
        a, b, ta, tb = self._pair(clause, real)
        if ta.amount is None:
            yield Finding(
                clause.id,
                "POL702",
                "proved",
                T("一事一议，无金额", "decided case by case: no amount"),
                line=clause.line,
            )
            return
        reducing = _reducing(clause, self.program)
        quantities = [
            n
            for n in clause.reads
            if n in self.inputs and self.inputs[n].kind in ("money", "area") and n not in reducing
        ]
        undecided = None
        # Whole numbers are tried briefly: a product of two facts is out of their reach, and the reals decide it.
        timeout = self.timeout if real else min(self.timeout, 1000)
        for name in quantities:
            same = [a.vars[n] == b.vars[n] for n in a.vars if n != name]
            verdict, model = solve(
                timeout, *a.bounds, *b.bounds, *same, b.vars[name] > a.vars[name], ta.grants, tb.grants,
                tb.amount < ta.amount - z3.RealVal("0.01"),  # a fen less at least, after rounding
            )  # fmt: skip
            if verdict == "unsat":
                continue
            if verdict == "unknown" or model is None:
                undecided = self.undecided(clause, "POL702", clause.line)
                continue
            less, more = a.read(model), b.read(model)
            (sa, amount_a), (sb, amount_b) = self.evaluate(clause, less), self.evaluate(clause, more)
            if not (sa == sb == "granted" and amount_a is not None and amount_b is not None and amount_b < amount_a):
                # The solver's facts, rounded to steps a person writes, do not break it in the evaluator.
                undecided = self.unconfirmed(clause, "POL702")
                continue
            yield Finding(
                clause.id,
                "POL702",
                "broken",
                T(
                    f"{name} 从 {literal(self.inputs[name], less[name])} 增加到 {literal(self.inputs[name], more[name])}，"
                    f"所得却从 {format_quantity(amount_a, 'money')} 减少到 {format_quantity(amount_b, 'money')}",
                    f"{name} going up from {literal(self.inputs[name], less[name])} to "
                    f"{literal(self.inputs[name], more[name])} brings the amount down from "
                    f"{format_quantity(amount_a, 'money')} to {format_quantity(amount_b, 'money')}",
                ),
                self.example(clause, less, "较少时") + "\n" + self.example(clause, more, "较多时所得反而更少"),
                clause.line,
            )
            return
        yield undecided or Finding(clause.id, "POL702", "proved", T("已证明", "proved"), line=clause.line)

    def caps(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Iterator[Finding]:
        if clause.grant.mode == "case_by_case":
            yield Finding(
                clause.id,
                "POL304",
                "proved",
                T("一事一议：上限即最高额", "decided case by case: the cap is the ceiling"),
                line=clause.line,
            )
            return
        t = Translator(a)
        clean = True
        # A cap with a scope (每年, 单个项目 …) is there for the enterprise's grants together: it need not bind
        # in one application.
        written = self.written[clause.id].caps
        scoped = [bool(c.scopes) for c in written]
        for cap, before, has_scope in zip(clause.caps, ta.before_caps, scoped, strict=True):
            if cap.derived or has_scope:
                continue
            limit = t.expr(cap.value).value
            verdict, _ = solve(self.timeout, *a.bounds, ta.grants, before > z3.If(limit < 0, 0, limit))
            if verdict != "sat":
                clean = False
                yield (
                    self.undecided(clause, "POL304", cap.line)
                    if verdict == "unknown"
                    else Finding(
                        clause.id,
                        "POL304",
                        "broken",
                        T(
                            "这个上限在任何事实下都不会限制金额：它不低于本条可能的最高额",
                            "this cap never limits the amount: it is not below the most the clause can pay",
                        ),
                        line=cap.line,
                    )
                )
        if clean:
            yield Finding(clause.id, "POL304", "proved", T("已证明", "proved"), line=clause.line)


def _reducing(clause: ir.Clause, program: ir.Program) -> set[str]:
    """Facts whose increase pays less by design: amounts already received, deducted or subtracted."""
    out = {i.name for i in program.inputs if i.received is not None}
    out |= inputs_in(clause.offsets)

    def walk(node: Any) -> None:
        if isinstance(node, ir.Arith) and node.op in ("-", "/"):
            out.update(inputs_in(node.right))
        if isinstance(node, tuple):
            for n in node:
                walk(n)
        elif attrs.has(type(node)):
            for f in attrs.fields(type(node)):
                walk(getattr(node, f.name))

    walk((clause.conditions, clause.grant, clause.caps, program.lets))
    return out
