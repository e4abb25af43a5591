"""`pol prove`: properties of each clause decided by an SMT solver over every possible set of facts.

For each clause the solver is asked for facts that break a property: a negative amount (POL305), no facts that
grant anything (POL701), more of a money or area fact paying less (POL702), a value between two tiers that
falls in neither (POL703), two banded tiers claiming one value (POL303), a cap that never binds (POL304), more
than the most the original states (POL704, the amounts after 最高, 上限, 不超过 in its text), a document limit below
what the clause alone pays (POL705), a condition that cannot hold or cannot fail (POL706), money outside the
policy's dates (POL707), two clauses for one subject both paid in full (POL708, checked with the ledger).
Facts it finds are run through the Python evaluator before they are reported, and written as an `example`
block the drafter can paste; a property the solver cannot decide in its time, or that uses what the
translation does not cover, is reported as 未能判定, never skipped. compiler/smt.py holds the translation.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import z3

from pol.compiler import ir
from pol.compiler.checker import CheckedPolicy
from pol.compiler.lint import stated_ceilings
from pol.compiler.runtime import CASH, format_quantity
from pol.compiler.smt import SCALE, ClauseTerms, Facts, Translator, Unsupported, clause_terms, inputs_in
from pol.dsl import ast
from pol.dsl.diagnostics import Diagnostic, error, warning
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
    message: str
    example: str | None = None  # a worked example block showing the break, as the evaluator computes it
    line: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "code": self.code,
            "property": PROPERTIES[self.code][1],
            "status": self.status,
            "message": self.message,
            "example": self.example,
        }


def _solve(timeout_ms: int, *constraints: Any) -> tuple[str, z3.ModelRef | None]:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*constraints)
    result = solver.check()
    if result == z3.sat:
        return "sat", solver.model()
    return ("unsat" if result == z3.unsat else "unknown"), None


def _largest(timeout_ms: int, objective: Any, *constraints: Any) -> z3.ModelRef | None:
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
        from pol.compiler.profile import Policy, ProfileError, evaluate_profile

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
                    clause.id, code, "undecided", f"未能判定：规则用到了尚不支持证明的写法（{exc}）", line=clause.line
                )
            return
        yield self.nonnegative(clause, a, ta)
        yield self.within_stated(clause, a, ta)
        yield self.reachable(clause, a, ta)
        yield from self.monotone(clause)
        yield from self.tiers(clause)
        yield from self.caps(clause, a, ta)
        yield self.under_limits(clause, a, ta)
        yield self.two_sided(clause, a)
        yield stacked(self, clause)
        granting = self.granting.get(clause.id)
        yield (
            self.in_force_only(clause, granting)
            if granting is not None
            else Finding(clause.id, "POL707", "proved", "本条不能获得资助，有效期外亦然", line=clause.line)
        )

    def _undecided(self, clause: ir.Clause, code: str, line: int = 0) -> Finding:
        return Finding(
            clause.id, code, "undecided", f"未能判定：求解器在 {self.timeout / 1000:g} 秒内没有结论", line=line
        )

    def nonnegative(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        if ta.amount is None:
            return Finding(clause.id, "POL305", "proved", "一事一议，无金额", line=clause.line)
        verdict, model = _solve(self.timeout, *a.bounds, ta.grants, ta.amount <= -HALF_FEN)  # below 0 at the fen
        if verdict == "unsat":
            return Finding(clause.id, "POL305", "proved", "已证明", line=clause.line)
        if verdict == "unknown" or model is None:
            return self._undecided(clause, "POL305", clause.line)
        facts = a.read(model)
        _, amount = self.evaluate(clause, facts)
        return Finding(
            clause.id,
            "POL305",
            "broken",
            f"以下事实下条款金额为负（{format_quantity(amount, 'money') if amount is not None else '无法计算'}）",
            self.example(clause, facts, "金额为负"),
            clause.line,
        )

    def within_stated(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        """The clause never pays more than the largest amount its original states as the most (最高, 上限 …)."""
        written = self.written[clause.id]
        stated = stated_ceilings(written.original.value) if written.original is not None else []
        if not stated or ta.amount is None:
            return Finding(clause.id, "POL704", "proved", "原文没有写明最高额", line=clause.line)
        most = max(stated, key=lambda f: f.value)
        # Past it by half a fen at least: what rounds back to the figure pays no more than the text says.
        verdict, model = _solve(self.timeout, *a.bounds, ta.grants, ta.amount >= z3.RealVal(str(most.value + HALF_FEN)))
        if verdict == "unsat":
            return Finding(clause.id, "POL704", "proved", "已证明", line=clause.line)
        if verdict == "unknown" or model is None:
            return self._undecided(clause, "POL704", clause.line)
        facts = a.read(model)
        status, amount = self.evaluate(clause, facts)
        if status != "granted" or amount is None or amount <= most.value:
            return Finding(
                clause.id, "POL704", "undecided", "未能判定：求解器的反例未能在求值器中复现", line=clause.line
            )
        return Finding(
            clause.id,
            "POL704",
            "broken",
            f"原文“{most.text}”是最高额，但以下事实应得 {format_quantity(amount, 'money')}",
            self.example(clause, facts, f"超过原文的最高额{most.text}"),
            clause.line,
        )

    def under_limits(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        """No document limit cuts what this clause pays on its own, with nothing received before."""
        limits = [
            lim
            for lim in self.program.limits
            if clause.support in CASH and (lim.clauses is None or clause.id in lim.clauses)
        ]
        if not limits or ta.amount is None:
            return Finding(clause.id, "POL705", "proved", "没有限额约束本条", line=clause.line)
        # A clause with no ceiling of its own (50万 per discipline) is meant to be bounded by the limit; one whose
        # amount has a ceiling above the limit promises what the document then takes back.
        unbounded, _ = _solve(self.timeout, *a.bounds, ta.grants, ta.amount > BEYOND)
        if unbounded != "unsat":
            return Finding(clause.id, "POL705", "proved", "本条金额没有自己的上限，由限额约束", line=clause.line)
        t = Translator(a)
        nothing_before = [a.vars[i.name] == 0 for i in self.program.inputs if i.received is not None]
        for lim in limits:
            try:
                value = t.expr(lim.value)
            except Unsupported as exc:
                return Finding(clause.id, "POL705", "undecided", f"未能判定：限额用到了尚不支持证明的写法（{exc}）")
            verdict, model = _solve(
                self.timeout, *a.bounds, *nothing_before, ta.grants, value.defined,
                ta.amount >= value.value + z3.RealVal(str(HALF_FEN)),
            )  # fmt: skip
            if verdict == "unknown":
                return self._undecided(clause, "POL705", clause.line)
            if verdict != "sat" or model is None:
                continue
            model = _largest(self.timeout, ta.amount, *a.bounds, *nothing_before, ta.grants) or model
            facts = a.read(model)
            ev = self.module.evaluate(facts, as_of=self.as_of, clauses=clause.id, validated=True)
            status, amount = self.evaluate(clause, facts)
            if status != "granted" or amount is None or ev.maximum >= amount:
                return Finding(clause.id, "POL705", "undecided", "未能判定：求解器的反例未能在求值器中复现")
            return Finding(
                clause.id,
                "POL705",
                "broken",
                f"本条单独应得 {format_quantity(amount, 'money')}，限额“{lim.label}”只允许 "
                f"{format_quantity(ev.maximum, 'money')}：本条的承诺在以下事实下不能兑现",
                self.example(clause, facts, "被限额削减"),
                clause.line,
            )
        return Finding(clause.id, "POL705", "proved", "已证明", line=clause.line)

    def two_sided(self, clause: ir.Clause, a: Facts) -> Finding:
        """Each condition can hold and can fail: one that cannot fail says nothing, one that cannot hold shuts the clause."""
        t = Translator(a)
        for c in clause.conditions:
            term = t.expr(c.expr)
            for holds in (True, False):
                verdict, _ = _solve(self.timeout, *a.bounds, term.defined, term.value if holds else z3.Not(term.value))
                if verdict == "unknown":
                    return self._undecided(clause, "POL706", c.line)
                if verdict == "unsat":
                    said = "都不成立，本条不能获得资助" if holds else "都成立，等于没有这个条件；请核对原文的门槛"
                    return Finding(clause.id, "POL706", "broken", f"条件“{c.text}”在任何事实下{said}", line=c.line)
        return Finding(clause.id, "POL706", "proved", "已证明", line=clause.line)

    def in_force_only(self, clause: ir.Clause, facts: dict[str, Any]) -> Finding:
        """Facts that grant on a day in force grant nothing the day before it takes effect or after it expires.

        The evaluators judge the date before any fact, so facts that grant on one day in force stand for all:
        the property is decided by evaluating them on the two days outside.
        """
        days = []
        if self.program.effective is not None:
            days.append(self.program.effective - datetime.timedelta(days=1))
        if self.program.expires is not None:
            days.append(self.program.expires + datetime.timedelta(days=1))
        for day in days:
            result = self.module.evaluate(facts, as_of=day, clauses=clause.id, validated=True).results[0]
            if str(result.status) in OFFERED:
                return Finding(
                    clause.id,
                    "POL707",
                    "broken",
                    f"{day.isoformat()} 不在有效期内，以下事实却可获得资助",
                    self.example(clause, facts, "有效期外"),
                    clause.line,
                )
        said = "已证明" if days else "未写明施行和失效日期：任何日期都有效"
        return Finding(clause.id, "POL707", "proved", said, line=clause.line)

    def reachable(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Finding:
        positive = [ta.amount > 0] if clause.grant.mode != "case_by_case" and ta.amount is not None else []
        verdict, model = _solve(self.timeout, *a.bounds, ta.grants, *positive)
        if verdict == "sat" and model is not None:
            self.granting[clause.id] = a.read(model)
            return Finding(clause.id, "POL701", "proved", "已证明", line=clause.line)
        if verdict == "unknown":
            return self._undecided(clause, "POL701", clause.line)
        return Finding(
            clause.id, "POL701", "broken", "任何事实下本条都不能获得资助：条件互相矛盾，或金额总为零", line=clause.line
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
            yield Finding(clause.id, "POL702", "proved", "一事一议，无金额", line=clause.line)
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
            verdict, model = _solve(
                timeout, *a.bounds, *b.bounds, *same, b.vars[name] > a.vars[name], ta.grants, tb.grants,
                tb.amount < ta.amount - z3.RealVal("0.01"),  # a fen less at least, after rounding
            )  # fmt: skip
            if verdict == "unsat":
                continue
            if verdict == "unknown" or model is None:
                undecided = self._undecided(clause, "POL702", clause.line)
                continue
            less, more = a.read(model), b.read(model)
            (sa, amount_a), (sb, amount_b) = self.evaluate(clause, less), self.evaluate(clause, more)
            if not (sa == sb == "granted" and amount_a is not None and amount_b is not None and amount_b < amount_a):
                # The solver's facts, rounded to steps a person writes, do not break it in the evaluator.
                undecided = Finding(
                    clause.id, "POL702", "undecided", "未能判定：求解器的反例未能在求值器中复现", line=clause.line
                )
                continue
            yield Finding(
                clause.id,
                "POL702",
                "broken",
                f"{name} 从 {literal(self.inputs[name], less[name])} 增加到 {literal(self.inputs[name], more[name])}，"
                f"所得却从 {format_quantity(amount_a, 'money')} 减少到 {format_quantity(amount_b, 'money')}",
                self.example(clause, less, "较少时") + "\n" + self.example(clause, more, "较多时所得反而更少"),
                clause.line,
            )
            return
        yield undecided or Finding(clause.id, "POL702", "proved", "已证明", line=clause.line)

    def tiers(self, clause: ir.Clause) -> Iterator[Finding]:
        found = list(_tiers_in((clause.grant, clause.caps)))
        if not found:
            yield Finding(clause.id, "POL703", "proved", "没有分档", line=clause.line)
            yield Finding(clause.id, "POL303", "proved", "没有分档", line=clause.line)
            return
        for node in found:
            yield self.gap(clause, node)
            yield self.overlap(clause, node)

    def _holds(self, t: Translator, tier: ir.Tier) -> Any:
        c = t.expr(tier.condition)
        return z3.And(c.defined, c.value)

    def overlap(self, clause: ir.Clause, node: ir.Tiers) -> Finding:
        a = Facts(self.program, "a")
        t = Translator(a)
        for i, lower in enumerate(node.tiers):
            for upper in node.tiers[i + 1 :]:
                hi, lo = self._holds(t, upper), self._holds(t, lower)
                # Only a band (a tier with an upper bound, false where a higher one holds) can overlap by mistake;
                # thresholds (以上 each) overlap by design, the highest one paying.
                band, _ = _solve(self.timeout, *a.bounds, hi, z3.Not(lo))
                if band != "sat":
                    continue
                verdict, model = _solve(self.timeout, *a.bounds, hi, lo)
                if verdict == "sat" and model is not None:
                    facts = a.read(model)
                    return Finding(
                        clause.id,
                        "POL303",
                        "broken",
                        f"第{lower.number}档（{lower.text}）与第{upper.number}档（{upper.text}）同时适用于以下事实，"
                        "按最高一档计；请核对原文的以上、以下、超过、不满",
                        self.example(clause, facts, "两档同时适用"),
                        node.line,
                    )
        return Finding(clause.id, "POL303", "proved", "已证明", line=node.line)

    def gap(self, clause: ir.Clause, node: ir.Tiers) -> Finding:
        """A value of one quantity between two that fall in a tier, itself in none, the other facts the same."""
        keys = sorted(set().union(*(inputs_in(t.condition) for t in node.tiers)) & set(self.inputs))
        for key in [k for k in keys if self.inputs[k].kind in SCALE]:
            sets = [Facts(self.program, tag) for tag in ("a", "g", "b")]
            ts = [Translator(f) for f in sets]
            a, g, b = sets
            same = [x.vars[n] == g.vars[n] for x in (a, b) for n in g.vars if n != key]
            held = [z3.Or(*[self._holds(t, tier) for tier in node.tiers]) for t in ts]
            conditions = [z3.And(c.defined, c.value) for c in (ts[1].expr(c.expr) for c in clause.conditions)]
            verdict, model = _solve(
                self.timeout, *a.bounds, *g.bounds, *b.bounds, *same, a.vars[key] < g.vars[key],
                g.vars[key] < b.vars[key], held[0], z3.Not(held[1]), held[2], *conditions,
            )  # fmt: skip
            if verdict == "unknown":
                return self._undecided(clause, "POL703", node.line)
            if verdict == "sat" and model is not None:
                facts = g.read(model)
                value = literal(self.inputs[key], facts[key])
                return Finding(
                    clause.id,
                    "POL703",
                    "broken",
                    f"{key} 为 {value} 时不属于任何一档，而更少和更多时都有档可依；请核对原文的以上、以下、超过、不满",
                    self.example(clause, facts, f"{key} {value} 落在两档之间"),
                    node.line,
                )
        return Finding(clause.id, "POL703", "proved", "已证明", line=node.line)

    def caps(self, clause: ir.Clause, a: Facts, ta: ClauseTerms) -> Iterator[Finding]:
        if clause.grant.mode == "case_by_case":
            yield Finding(clause.id, "POL304", "proved", "一事一议：上限即最高额", line=clause.line)
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
            verdict, _ = _solve(self.timeout, *a.bounds, ta.grants, before > z3.If(limit < 0, 0, limit))
            if verdict != "sat":
                clean = False
                yield (
                    self._undecided(clause, "POL304", cap.line)
                    if verdict == "unknown"
                    else Finding(
                        clause.id,
                        "POL304",
                        "broken",
                        "这个上限在任何事实下都不会限制金额：它不低于本条可能的最高额",
                        line=cap.line,
                    )
                )
        if clean:
            yield Finding(clause.id, "POL304", "proved", "已证明", line=clause.line)


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
        return Finding(clause.id, "POL708", "proved", "没有同一事项的其他条款", line=clause.line)
    for other in group:
        rule_here = rule or ("不可重复享受" if other.exclusive else None)
        if rule_here is None:
            continue
        facts = Facts(program, "a")
        t = Translator(facts)
        try:
            mine, theirs = clause_terms(clause, t), clause_terms(other, t)
        except Unsupported as exc:
            return Finding(clause.id, "POL708", "undecided", f"未能判定：规则用到了尚不支持证明的写法（{exc}）")
        if mine.amount is None or theirs.amount is None:
            continue
        verdict, model = _solve(
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
        entries = prover.ledger(profile)
        if entries is None:
            return Finding(clause.id, "POL708", "undecided", "未能判定：台账无法计算这组事实")
        first, second = entries
        _, alone = prover.evaluate(clause, given)
        allowed = Decimal(0) if rule_here == "不可重复享受" else max((alone or Decimal(0)) - first, Decimal(0))
        if second > allowed:
            return Finding(
                clause.id,
                "POL708",
                "broken",
                f"同一事项已获“{other.id}” {format_quantity(first, 'money')}，本条按“{rule_here}”应至多支付 "
                f"{format_quantity(allowed, 'money')}，台账却支付 {format_quantity(second, 'money')}",
                line=clause.line,
            )
    return Finding(clause.id, "POL708", "proved", "已证明", line=clause.line)


def feasible(
    program: ir.Program, clause: ir.Clause, event: tuple[Any, ...], timeout_ms: int = TIMEOUT_MS
) -> bool | None:
    """Whether any facts exercise this part of a clause (coverage.Gap.event): False when proved impossible, None
    when undecided."""
    facts = Facts(program, "a")
    t = Translator(facts)
    try:
        terms = clause_terms(clause, t)
        conditions = [t.expr(c.expr) for c in clause.conditions]
        met = [z3.And(c.defined, c.value) for c in conditions]
        match event:
            case ("cond", index, holds):
                c = conditions[index]
                asked = [c.defined, c.value if holds else z3.Not(c.value)]
            case ("tier", node, number):
                held = {
                    tier.number: z3.And(*(lambda c: (c.defined, c.value))(t.expr(tier.condition)))
                    for tier in node.tiers
                }
                if number is None:
                    asked = [*met, z3.Not(z3.Or(*held.values()))]
                else:  # the highest tier that holds is this one
                    asked = [*met, held[number], *(z3.Not(h) for n, h in held.items() if n > number)]
            case ("row", node, keys):
                key = ir.Ref(node.key, node.key_unit)
                rows = [k for row in node.rows for k in row.keys]
                hit = [t._member(key, k) for k in (keys if keys is not None else rows)]
                asked = [*met, z3.Or(*hit) if keys is not None else z3.Not(z3.Or(*hit))]
            case ("cap", index, binds):
                limit = t.expr(clause.caps[index].value).value
                limit = z3.If(limit < 0, 0, limit)
                before = terms.before_caps[index]
                asked = [terms.grants, before > limit if binds else before <= limit]
            case _:
                return None
    except Unsupported:
        return None
    verdict, _ = _solve(timeout_ms, *facts.bounds, *asked)
    return {"sat": True, "unsat": False}.get(verdict)


def _tiers_in(node: Any) -> Iterator[ir.Tiers]:
    if isinstance(node, ir.Tiers):
        yield node
    if isinstance(node, tuple):
        for n in node:
            yield from _tiers_in(n)
    elif attrs.has(type(node)):
        for f in attrs.fields(type(node)):
            yield from _tiers_in(getattr(node, f.name))


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
        notes = [f"性质：{promise}"] + ([f"可粘贴的算例：\n{f.example}"] if f.example else [])
        out.append(make(f.code, f"条款 '{f.clause}'：{f.message}", span, *notes))
    return sorted(out, key=lambda d: (d.span.line, d.span.column, d.code))


def clause_ids(policy: CheckedPolicy) -> list[str]:
    return [c.id for c in policy.clauses if isinstance(c, ast.Clause)]
