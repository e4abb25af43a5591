"""`pol test --coverage`: which conditions, tiers, table rows and caps the worked examples never exercise.

Each worked example's clause is run once more with a recording trace. What counts, per clause:

- a condition (`when`) both holding and failing in some example; a condition that compares a fact with
  a figure is a threshold (kind `threshold`), seen so from both sides;
- every tier reached, and the case below the lowest tier;
- every row of a table looked up (and its `else` row), and a key with no row;
- every cap both binding and not binding.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs

from pol.compiler import ir, runtime
from pol.compiler.evaluate.examples import example_date, example_facts

Event = tuple[Any, ...]


class Recorder(runtime.Trace):
    """A trace that also notes, in a shared set, each condition's verdict, tier, table row and cap it meets."""

    __slots__ = ("events",)

    def __init__(self, events: set[Event]):
        super().__init__()
        self.events = events

    def cond(self, ok: bool, text: str, shown: Any, facts: Any) -> bool:
        self.events.add(("cond", text, bool(ok)))
        return super().cond(ok, text, shown, facts)

    def tier(self, number: int, text: str, value: Any, unit: Any) -> Any:
        self.events.add(("tier", text))
        return super().tier(number, text, value, unit)

    def row(self, key_label: str, key: Any, key_unit: Any, value: Any, unit: Any) -> Any:
        self.events.add(("row", key_label, key))
        return super().row(key_label, key, key_unit, value, unit)

    def cap(self, amount: Decimal, limit: Decimal, label: str, worked: Any = None) -> Decimal:
        self.events.add(("cap", label, amount > max(limit, runtime.ZERO)))
        return super().cap(amount, limit, label, worked)

    def note(self, text: str) -> None:
        self.events.add(("note", text))
        super().note(text)

    def worked(self) -> runtime.Trace:
        return Recorder(self.events)


@contextlib.contextmanager
def _recording_quiet(events: set[Event]) -> Iterator[None]:
    """Route the steps evaluators take quietly (a cap read from a table) to a recorder too."""
    saved = runtime.QUIET
    runtime.QUIET = Recorder(events)  # type: ignore[assignment]
    try:
        yield
    finally:
        runtime.QUIET = saved


@attrs.frozen
class Gap:
    """One side of one part of a clause that no worked example exercises."""

    clause: str
    kind: str  # threshold, condition, tier, row, cap
    what: str  # in Chinese
    # What would exercise it, for `pol prove` to decide whether any facts can (prove.feasible): ("cond", index,
    # holds), ("tier", tiers, number or None for below every tier), ("row", table, member values or None for a
    # key in no row), ("cap", index, binds).
    event: tuple[Any, ...] = attrs.field(default=(), eq=False)


@attrs.frozen
class ClauseCoverage:
    clause: str
    article: str | None
    covered: int
    total: int
    gaps: tuple[Gap, ...]
    thresholds: int = 0  # sides of threshold conditions, of `total`; those not covered are gaps of kind threshold


def _walk(e: ir.Expr | None) -> Iterator[ir.Expr]:
    if e is None:
        return
    yield e
    children: tuple[Any, ...] = ()
    if isinstance(e, ir.Arith | ir.Compare):
        children = (e.left, e.right)
    elif isinstance(e, ir.Extreme):
        children = e.args
    elif isinstance(e, ir.OneOf):
        children = (e.subject, *e.options)
    elif isinstance(e, ir.All | ir.AnyOf):
        children = e.items
    elif isinstance(e, ir.Not):
        children = (e.item,)
    elif isinstance(e, ir.Table):
        children = (*(r.value for r in e.rows), e.default)
    elif isinstance(e, ir.Tiers):
        children = tuple(x for t in e.tiers for x in (t.condition, t.value))
    for child in children:
        yield from _walk(child)


def _label_matches(label: ir.CapLabel, seen: str) -> bool:
    return seen == label.text if label.text is not None else seen.endswith(label.suffix)


def _cap_name(label: ir.CapLabel) -> str:
    return label.text if label.text is not None else f"（按{label.key}）{label.suffix}"


def clause_coverage(clause: ir.Clause, events: set[Event]) -> ClauseCoverage:
    """What of one clause the recorded events exercise, and each side left unexercised."""
    gaps: list[Gap] = []
    total = 0

    def need(seen: bool, kind: str, what: str, event: tuple[Any, ...] = ()) -> None:
        nonlocal total
        total += 1
        if not seen:
            gaps.append(Gap(clause.id, kind, what, event))

    thresholds = 0
    for i, c in enumerate(clause.conditions):
        kind = "threshold" if _is_threshold(c.expr) else "condition"
        thresholds += 2 if kind == "threshold" else 0
        need(("cond", c.text, True) in events, kind, f"条件“{c.text}”成立", ("cond", i, True))
        need(("cond", c.text, False) in events, kind, f"条件“{c.text}”不成立", ("cond", i, False))
    roots = [
        clause.grant.value,
        clause.grant.low,
        *(cap.value for cap in clause.caps),
        *(off.value for off in clause.offsets),
    ]
    for node in (n for root in roots for n in _walk(root)):
        if isinstance(node, ir.Tiers):
            for tier in node.tiers:
                need(
                    ("tier", tier.text) in events,
                    "tier",
                    f"第{tier.number}档“{tier.text}”",
                    ("tier", node, tier.number),
                )
            need(("note", node.none_text) in events, "tier", node.none_text, ("tier", node, None))  # 未达到任何一档：…
        elif isinstance(node, ir.Table):
            keys = {k for (kind, label, k) in (e for e in events if e[0] == "row") if label == node.key}
            for row in node.rows:
                values = [k.value for k in row.keys]
                what = f"{node.key}为{'、'.join(map(str, values))}的一行"
                need(any(v in keys for v in values), "row", what, ("row", node, tuple(row.keys)))
            if node.default is not None:
                listed = {k.value for row in node.rows for k in row.keys}
                need(any(k not in listed for k in keys), "row", f"{node.key}的“其他”一行", ("row", node, None))
    for i, cap in enumerate(clause.caps):
        if cap.derived:  # a remainder is the ledger's, tested by profiles
            continue
        seen = [e for e in events if e[0] == "cap" and _label_matches(cap.label, e[1])]
        name = _cap_name(cap.label)
        need(any(e[2] for e in seen), "cap", f"上限“{name}”起作用", ("cap", i, True))
        need(any(not e[2] for e in seen), "cap", f"上限“{name}”不起作用", ("cap", i, False))
    return ClauseCoverage(clause.id, clause.article, total - len(gaps), total, tuple(gaps), thresholds)


def _is_threshold(e: ir.Expr) -> bool:
    """Whether a condition compares something with a figure (2000万元以上, 突破 10亿), not a category or yes/no."""
    return any(
        isinstance(n, ir.Compare)
        and any(isinstance(side, ir.Const) and isinstance(side.value, Decimal) for side in (n.left, n.right))
        for n in _walk(e)
    )


def policy_coverage(policy: Any, program: ir.Program, module: Any) -> list[ClauseCoverage]:
    """Each clause's coverage by the policy's worked examples, in the document's order."""
    as_of = example_date(policy)
    events_by_clause: dict[str, set[Event]] = {c.id: set() for c in program.clauses}
    for clause in policy.clauses:
        events = events_by_clause[clause.id]
        for ex in clause.examples:
            result = module.evaluate(example_facts(ex), as_of=as_of, clauses=clause.id, validated=True).results[0]
            replay = result.trace
            if not isinstance(replay, runtime.Replay):  # a policy not in force on its own date: nothing ran
                continue
            with _recording_quiet(events), runtime.exact():
                replay.run(replay.facts, Recorder(events))
    return [clause_coverage(c, events_by_clause[c.id]) for c in program.clauses]
