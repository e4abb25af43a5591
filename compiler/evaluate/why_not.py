"""What would change the answer: for a clause not granted or not at its most, the nearest change of one fact that
gives more, found by evaluating the clause itself (`pol eval --why-not`, and the site's calculators in JS).

The search reads hints from the lowered form, computed once per policy: the figures each fact is compared
with (a threshold is crossed one step either side of its figure: 1 fen, 0.01 of an area, 0.01%, one year or
one unit), the steps of each 每满 (the next whole step counts one more), and the facts the amount is computed from (for the least value at which the clause pays its most,
found by bisection to that step). Every candidate is evaluated exactly by the clause's own evaluator, so
an answer is never a guess, and the JavaScript runtime's `whyNot` repeats the same steps in the same order.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

import attrs

from pol.compiler import ir
from pol.compiler.runtime import FactsError, format_quantity, read_facts

NUMERIC = ("money", "money_per_area", "area", "ratio", "years", "number")
# The smallest change a person makes to a fact of each kind: a threshold is crossed by one of these.
STEP = {
    "money": Decimal("0.01"),
    "money_per_area": Decimal("0.01"),
    "area": Decimal("0.01"),
    "ratio": Decimal("0.0001"),
    "years": Decimal(1),
    "number": Decimal(1),
}
# The value at which a clause pays its most is looked for to a whole unit (1元, 1平方米): at a fen the rounding of
# the amount decides, and "达到 4999999.99元" reads worse than the 500万元 the rule means.
MOST_STEP = {"money": Decimal(1), "money_per_area": Decimal(1), "area": Decimal(1), "number": Decimal(1)}
HIGHEST = Decimal("1e13")  # 10万亿: beyond any amount a clause counts, below the facts' own bound
PLATEAU = Decimal("1e10")  # 100亿: a clause that still pays more above this has no most worth saying
OFFERED = ("granted", "discretionary")


def hints(program: ir.Program) -> dict[str, dict[str, Any]]:
    """For each clause: the figures each numeric fact is compared with, and the facts its amount is computed from."""
    kinds = {i.name: i.kind for i in program.inputs}
    lets = {let.name: let.value for let in program.lets}
    out: dict[str, dict[str, Any]] = {}
    for clause in program.clauses:
        figures = ir.compared((clause.conditions, clause.grant, clause.caps, clause.offsets), lets)
        out[clause.id] = {
            "thresholds": {
                name: [_plain(v) for v in sorted(values)]
                for name, values in sorted(figures.items())
                if kinds.get(name) in NUMERIC and all(isinstance(v, Decimal) for v in values)
            },
            "every": {
                name: [_plain(v) for v in sorted(values)]
                for name, values in sorted(_steps((clause.grant, clause.caps), lets).items())
                if kinds.get(name) in NUMERIC
            },
            "bases": sorted(
                name
                for name in _reads(clause.grant.value, lets)
                if kinds.get(name) in ("money", "money_per_area", "area", "number")
            ),
        }
    return out


def _steps(node: Any, lets: dict[str, ir.Expr]) -> dict[str, set[Decimal]]:
    """The step of each `每满`/`每增加` counted over a fact: the next whole step is where the amount grows."""
    found: dict[str, set[Decimal]] = {}
    for n in ir.reached(node, lets):
        if isinstance(n, ir.Arith) and n.op == "every" and isinstance(n.left, ir.Ref):
            if isinstance(n.right, ir.Const) and isinstance(n.right.value, Decimal) and n.right.value > 0:
                found.setdefault(n.left.name, set()).add(n.right.value)
    return found


def _reads(node: Any, lets: dict[str, ir.Expr]) -> set[str]:
    """The facts an expression is computed from, through its definitions."""
    return {n.name for n in ir.reached(node, lets) if isinstance(n, ir.Ref) and n.name not in lets} | {
        n.key for n in ir.reached(node, lets) if isinstance(n, ir.Table)
    }


@attrs.frozen
class Change:
    """One fact changed to a value at which the clause gives more, and what it gives then."""

    input: str
    kind: str  # "threshold": a condition or tier is crossed; "most": the least value at which it pays its most
    value: Decimal
    to: Decimal
    status: str
    amount: Decimal
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "kind": self.kind,
            "from": _plain(self.value),
            "to": _plain(self.to),
            "status": self.status,
            "amount": _plain(self.amount),
            "text": self.text,
        }


def _plain(value: Decimal) -> str:
    """A number as both runtimes write it: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def _worth(result: Any) -> Decimal:
    value = result.amount if result.status == "granted" else result.max_amount
    return value if value is not None else Decimal(0)


def _better(result: Any, base: Any) -> bool:
    return result.status in OFFERED and (base.status not in OFFERED or _worth(result) > _worth(base))


def why_not(
    module: Any,
    raw: Mapping[str, Any],
    clause: str,
    hint: Mapping[str, Any],
    as_of: datetime.date | None = None,
    validated: bool = False,
) -> list[Change]:
    """The nearest change of each fact that makes `clause` give more than it does for `raw`, nearest first.

    `validated=True` takes facts already converted by the runtime's read_facts."""
    try:
        facts = dict(raw) if validated else read_facts(module.INPUTS, raw)
    except FactsError:
        return []

    def run(name: str | None = None, value: Decimal | None = None) -> Any:
        varied = facts if name is None else {**facts, name: value}
        return module.evaluate(varied, as_of=as_of, clauses=clause, validated=True).results[0]

    base = run()
    if base.status not in ("granted", "discretionary", "not_eligible"):
        return []  # facts missing, out of force, or case by case: nothing one figure changes
    order = list(module.INPUTS)
    found: list[tuple[Fraction, int, Change]] = []
    for name in sorted({*hint.get("thresholds", {}), *hint.get("every", {})}, key=order.index):
        spec = module.INPUTS[name]
        value = facts.get(name)
        if not isinstance(value, Decimal):
            continue
        step = STEP[spec.kind]
        candidates = {t + d for t in map(Decimal, hint["thresholds"].get(name, ())) for d in (-step, Decimal(0), step)}
        # 每满 a step: the next whole step counts one more.
        candidates |= {(value // every + 1) * every for every in map(Decimal, hint.get("every", {}).get(name, ()))}
        here = value
        for to in sorted((c for c in candidates if c >= 0 and c != here), key=lambda c: (abs(c - here), c)):
            result = run(name, to)
            if _better(result, base):
                found.append(
                    (_distance(value, to, step), order.index(name), _change(spec, "threshold", value, to, result, base))
                )
                break
    if base.status == "granted":
        for name in sorted((n for n in hint.get("bases", ()) if n in module.INPUTS), key=order.index):
            spec = module.INPUTS[name]
            value = facts.get(name)
            if not isinstance(value, Decimal) or value >= HIGHEST:
                continue
            top = run(name, HIGHEST)
            if not (top.status == "granted" and _worth(top) > _worth(base)):
                continue
            if _worth(run(name, max(PLATEAU, value))) != _worth(top):
                continue  # no cap: the amount grows with the fact, and "the most" is not a thing to aim at
            step, lo, hi = MOST_STEP[spec.kind], value, HIGHEST
            while hi - lo > step:  # the least value that pays the most, to the fact's step
                mid = ((lo + hi) / 2).quantize(step, rounding=ROUND_FLOOR)
                if mid <= lo:
                    break
                result = run(name, mid)
                if result.status == "granted" and _worth(result) >= _worth(top):
                    hi = mid
                else:
                    lo = mid
            if any(c.input == name and c.to == hi for _, _, c in found):
                continue
            found.append(
                (_distance(value, hi, step), order.index(name), _change(spec, "most", value, hi, run(name, hi), base))
            )
    return [c for _, _, c in sorted(found, key=lambda f: (f[0], f[1], f[2].kind))]


def _distance(value: Decimal, to: Decimal, step: Decimal) -> Fraction:
    """How far a change goes, relative to the fact's size: 1元 on 500万元 is nearer than 1亩 on 2亩 (exactly, so
    both runtimes order changes alike)."""
    return Fraction(abs(to - value)) / Fraction(max(abs(value), step))


def _change(spec: Any, kind: str, value: Decimal, to: Decimal, result: Any, base: Any) -> Change:
    show = lambda v: format_quantity(v, spec.kind, spec.currency, spec.area)  # noqa: E731
    amount = _worth(result)
    gets = ("最高可获得 " if result.status == "discretionary" else "可获得 ") + format_quantity(amount, "money")
    if kind == "most":
        text = f"{spec.label}达到 {show(to)} 时{gets}，为本条在其他情况不变时的最高额"
    elif spec.ordinal and to < value:  # a rank rises as its number falls: 第11名 → 前10名
        text = f"{spec.label}提升 {show(value - to)} 位（进入前 {show(to)} 名）即{gets}"
    elif to > value:
        text = f"{spec.label}再增加 {show(to - value)}（达到 {show(to)}）即{gets}"
    else:
        text = f"{spec.label}减少 {show(value - to)}（降到 {show(to)}）即{gets}"
    return Change(spec.name, kind, value, to, str(result.status), amount, text)
