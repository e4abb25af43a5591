"""The lowered form as SMT terms (Z3): a clause's conditions and amount over symbolic facts, for `pol prove`.

Every fact is a variable: money, areas, years and rates are whole numbers of their smallest unit (fen, 0.01平方米,
0.01年, a millionth of a rate) divided by it, so a solution is a fact a person could write and the arithmetic
stays exact; enumerations are indices into their members, dates days since 2000-01-01. An expression becomes
a term and the condition under which it has a value (a table with no row for the key, a tier none of whose
conditions holds, a division by zero: no value), so "the clause grants" is: every condition defined and true.
The amount is before rounding to the fen; `pol prove` confirms every counterexample with the Python evaluator.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import z3

from pol.compiler import ir
from pol.compiler.runtime import MAX_VALUE

EPOCH = datetime.date(2000, 1, 1)
# The smallest step of each kind of fact: a counterexample is written in it.
SCALE = {"money": 100, "money_per_area": 100, "area": 100, "years": 100, "ratio": 1_000_000, "number": 1}


class Unsupported(Exception):
    """An expression the translation does not cover; the property that needs it is reported undecided."""


@attrs.frozen
class Term:
    value: Any  # a z3 term
    defined: Any  # a z3 Bool: the expression has a value


def _decimal(value: Decimal) -> z3.ArithRef:
    return z3.RealVal(str(value))


class Facts:
    """One set of symbolic facts for a program: a variable per input, with the bounds pol reads facts in."""

    def __init__(self, program: ir.Program, tag: str, real: bool = False):
        # real: quantities range over the reals, not whole numbers of their smallest unit. A product of two
        # facts (area × price) is then nonlinear real arithmetic, which the solver decides where it cannot for
        # whole numbers; what has no real solution has no whole one, and a real solution is rounded and tried.
        self.program, self.tag, self.real = program, tag, real
        self.inputs = {i.name: i for i in program.inputs}
        self.vars: dict[str, Any] = {}
        self.bounds: list[Any] = []
        for spec in program.inputs:
            name = f"{spec.name}#{tag}"
            if spec.kind == "bool":
                var: Any = z3.Bool(name)
            elif spec.kind in ("enum", "date"):
                var = z3.Int(name)
                if spec.kind == "enum":
                    self.bounds += [var >= 0, var < len(spec.members or ())]
                else:
                    self.bounds += [var >= 0, var <= (datetime.date(2100, 1, 1) - EPOCH).days]
            else:
                var = z3.Real(name) if real else z3.Int(name)
                self.bounds += [var >= (1 if spec.ordinal else 0), var < int(MAX_VALUE) * SCALE[spec.kind]]
            self.vars[spec.name] = var

    def value(self, name: str) -> Any:
        """The input as a term of its kind: a Real for quantities."""
        spec, var = self.inputs[name], self.vars[name]
        if spec.kind in SCALE:
            return (var if self.real else z3.ToReal(var)) / SCALE[spec.kind]
        return var

    def read(self, model: z3.ModelRef) -> dict[str, Any]:
        """The facts of a model, as validated values the evaluators take."""
        out: dict[str, Any] = {}
        for name, var in self.vars.items():
            spec = self.inputs[name]
            got = model.eval(var, model_completion=True)
            if spec.kind == "bool":
                out[name] = z3.is_true(got)
            elif spec.kind == "enum":
                out[name] = (spec.members or ())[got.as_long()]
            elif spec.kind == "date":
                out[name] = EPOCH + datetime.timedelta(days=got.as_long())
            elif self.real:  # to the nearest step of its kind: the evaluator then says whether it still breaks
                fraction = got.as_fraction() if z3.is_rational_value(got) else None
                steps = round(fraction) if fraction is not None else 0
                out[name] = Decimal(steps) / SCALE[spec.kind]
            else:
                out[name] = Decimal(got.as_long()) / SCALE[spec.kind]
        return out


class Translator:
    """Terms for the expressions of one program over one set of facts."""

    def __init__(self, facts: Facts):
        self.facts = facts
        self.lets = {let.name: let.value for let in facts.program.lets}
        self.cache: dict[str, Term] = {}

    def expr(self, e: ir.Expr) -> Term:
        method: Callable[[Any], Term] | None = getattr(self, "_" + type(e).__name__.lower(), None)
        if method is None:
            raise Unsupported(type(e).__name__)
        return method(e)

    def _const(self, e: ir.Const) -> Term:
        v = e.value
        if isinstance(v, bool):
            return Term(z3.BoolVal(v), z3.BoolVal(True))
        if isinstance(v, Decimal):
            return Term(_decimal(v), z3.BoolVal(True))
        if isinstance(v, datetime.date):
            return Term(z3.IntVal((v - EPOCH).days), z3.BoolVal(True))
        raise Unsupported("an enumeration member outside a comparison")

    def _ref(self, e: ir.Ref) -> Term:
        if e.name in self.facts.vars:
            return Term(self.facts.value(e.name), z3.BoolVal(True))
        if e.name in self.lets:
            if e.name not in self.cache:
                self.cache[e.name] = self.expr(self.lets[e.name])
            return self.cache[e.name]
        raise Unsupported(f"the fact {e.name}")

    def _member(self, subject: ir.Expr, option: ir.Expr) -> Any:
        """`subject == option` where the option may be an enumeration member, named by its text."""
        if isinstance(option, ir.Const) and isinstance(option.value, str) and isinstance(subject, ir.Ref):
            spec = self.facts.inputs.get(subject.name)
            if spec is None or spec.kind != "enum" or option.value not in (spec.members or ()):
                raise Unsupported(f"{subject.name} compared with {option.value}")
            return self.facts.vars[subject.name] == (spec.members or ()).index(option.value)
        return self.expr(subject).value == self.expr(option).value

    def _arith(self, e: ir.Arith) -> Term:
        a, b = self.expr(e.left), self.expr(e.right)
        defined = z3.And(a.defined, b.defined)
        if e.op == "+":
            return Term(a.value + b.value, defined)
        if e.op == "-":
            return Term(a.value - b.value, defined)
        if e.op == "*":
            return Term(a.value * b.value, defined)
        if e.op == "/":
            return Term(a.value / b.value, z3.And(defined, b.value != 0))
        # 每满: whole steps of b in a, none when a is not above zero; a step not above zero has no value.
        steps = z3.If(a.value > 0, z3.ToReal(z3.ToInt(a.value / b.value)), z3.RealVal(0))
        return Term(steps, z3.And(defined, b.value > 0))

    def _extreme(self, e: ir.Extreme) -> Term:
        terms = [self.expr(x) for x in e.args]
        value = terms[0].value
        for t in terms[1:]:
            value = (
                z3.If(t.value < value, t.value, value) if e.kind == "min" else z3.If(t.value > value, t.value, value)
            )
        return Term(value, z3.And(*[t.defined for t in terms]))

    def _compare(self, e: ir.Compare) -> Term:
        if e.op in ("==", "!=") and isinstance(e.right, ir.Const) and isinstance(e.right.value, str):
            same = self._member(e.left, e.right)
            return Term(same if e.op == "==" else z3.Not(same), self.expr(e.left).defined)
        a, b = self.expr(e.left), self.expr(e.right)
        ops = {
            ">=": lambda x, y: x >= y,
            ">": lambda x, y: x > y,
            "<=": lambda x, y: x <= y,
            "<": lambda x, y: x < y,
            "==": lambda x, y: x == y,
            "!=": lambda x, y: x != y,
        }
        return Term(ops[e.op](a.value, b.value), z3.And(a.defined, b.defined))

    def _oneof(self, e: ir.OneOf) -> Term:
        return Term(z3.Or(*[self._member(e.subject, o) for o in e.options]), self.expr(e.subject).defined)

    def _all(self, e: ir.All) -> Term:
        terms = [self.expr(x) for x in e.items]
        return Term(z3.And(*[t.value for t in terms]), z3.And(*[t.defined for t in terms]))

    def _anyof(self, e: ir.AnyOf) -> Term:
        terms = [self.expr(x) for x in e.items]
        return Term(z3.Or(*[t.value for t in terms]), z3.And(*[t.defined for t in terms]))

    def _not(self, e: ir.Not) -> Term:
        t = self.expr(e.item)
        return Term(z3.Not(t.value), t.defined)

    def _table(self, e: ir.Table) -> Term:
        key = ir.Ref(e.key, e.key_unit)
        default = self.expr(e.default) if e.default is not None else None
        value = default.value if default is not None else z3.RealVal(0)
        defined = default.defined if default is not None else z3.BoolVal(False)
        for row in reversed(e.rows):
            hit = z3.Or(*[self._member(key, k) for k in row.keys])
            v = self.expr(row.value)
            value, defined = z3.If(hit, v.value, value), z3.If(hit, v.defined, defined)
        return Term(value, z3.And(self.expr(key).defined, defined))

    def _tiers(self, e: ir.Tiers) -> Term:
        value, defined = z3.RealVal(0), z3.BoolVal(False)
        for tier in e.tiers:  # the highest tier whose condition holds gives the value: the last If wins
            c, v = self.expr(tier.condition), self.expr(tier.value)
            holds = z3.And(c.defined, c.value)
            value, defined = z3.If(holds, v.value, value), z3.If(holds, v.defined, defined)
        return Term(value, defined)


@attrs.frozen
class ClauseTerms:
    """A clause over one set of facts: whether it grants, the amount, and the amount before each cap."""

    grants: Any  # Bool: every condition defined and true, the amount defined
    amount: Any  # Real, before rounding to the fen; None for 一事一议 with no cap (no amount to reason about)
    before_caps: tuple[Any, ...]  # the amount each cap is applied to, in order


def clause_terms(clause: ir.Clause, t: Translator) -> ClauseTerms:
    """The clause's terms; Unsupported when it uses what the translation does not cover."""
    conditions = [t.expr(c.expr) for c in clause.conditions]
    parts = [z3.And(c.defined, c.value) for c in conditions]
    if clause.grant.value is not None:
        g = t.expr(clause.grant.value)
        amount, parts = g.value, [*parts, g.defined]
    else:  # 一事一议: up to its caps, the most it can be is the least cap; with none, no amount at all
        amount = None
    before = []
    for step in clause.adjustments():
        if isinstance(step, ir.Offset):
            if amount is not None:
                o = t.expr(step.value)
                parts.append(o.defined)
                amount = z3.If(amount - o.value < 0, z3.RealVal(0), amount - o.value)
            continue
        c = t.expr(step.value)
        parts.append(c.defined)
        limit = z3.If(c.value < 0, z3.RealVal(0), c.value)
        before.append(amount if amount is not None else limit)
        amount = limit if amount is None else z3.If(amount > limit, limit, amount)
    return ClauseTerms(z3.And(*parts) if parts else z3.BoolVal(True), amount, tuple(before))
