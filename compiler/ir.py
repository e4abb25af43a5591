"""The lowered form: what each clause of a checked policy computes, with nothing left of the source syntax.

Every backend (Python, JavaScript, and the SQL of population runs) generates code from this form
alone. It is target-neutral and columnar-friendly: values are exact decimals, dates, yes/no or
enumeration members with their units; control is a fixed shape per clause (conditions, grant, caps,
offsets); nothing here is specific to one language. Explanation steps are not strings: each node
carries the labels and units its runtime step needs, and the runtimes render the step from one
template per kind (see `compiler/runtime.py` `_explain`, and its JavaScript twin).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal

import attrs

# The runtime's description of a value's unit: (kind, currency, area), e.g. ("money", "CNY", None).
Unit = tuple[str, str | None, str | None]
# How an operand is named in an explanation step: its name, if it has one, and its unit.
Label = tuple[str | None, Unit]


@attrs.frozen
class Const:
    """A literal: an exact decimal in base units, a date, yes/no, or an enumeration member."""

    value: Decimal | datetime.date | bool | str
    unit: Unit


@attrs.frozen
class Ref:
    """A fact by name: an input or a definition. A missing fact makes the clause ask for it."""

    name: str
    unit: Unit


@attrs.frozen
class Arith:
    """`left op right` on quantities, recorded as one explanation step ("a × b = c")."""

    op: Literal["+", "-", "*", "/", "every"]
    left: Expr
    right: Expr
    left_label: Label
    right_label: Label
    unit: Unit


@attrs.frozen
class Extreme:
    """`min(…)` or `max(…)`, recorded as a step when an argument other than the first decides."""

    kind: Literal["min", "max"]
    args: tuple[Expr, ...]
    labels: tuple[Label, ...]
    unit: Unit


@attrs.frozen
class Compare:
    """A comparison; legal thresholds are already resolved (以上 is >=, 超过 is >)."""

    op: Literal[">=", ">", "<=", "<", "==", "!="]
    left: Expr
    right: Expr


@attrs.frozen
class OneOf:
    """`subject 属于 (a, b, …)`."""

    subject: Expr
    options: tuple[Expr, ...]


@attrs.frozen
class All:
    items: tuple[Expr, ...]


@attrs.frozen
class AnyOf:
    items: tuple[Expr, ...]


@attrs.frozen
class Not:
    item: Expr


@attrs.frozen
class Row:
    """One row of a table: the keys it matches and the value it gives."""

    keys: tuple[Const, ...]
    value: Expr


@attrs.frozen
class Table:
    """A value looked up by a fact (`by 新药类别 { … }`); no matching row and no default gives nothing."""

    key: str
    key_unit: Unit
    rows: tuple[Row, ...]
    default: Expr | None
    unit: Unit
    line: int


@attrs.frozen
class Tier:
    number: int  # 1 for the lowest
    condition: Expr
    text: str  # the condition in Chinese, for the explanation
    value: Expr


@attrs.frozen
class Tiers:
    """The highest tier whose condition holds gives the value; none gives nothing, saying `none_text`."""

    tiers: tuple[Tier, ...]
    unit: Unit
    none_text: str
    line: int


Expr = Const | Ref | Arith | Extreme | Compare | OneOf | All | AnyOf | Not | Table | Tiers


@attrs.frozen
class Condition:
    """One part of a clause's `when`: checked on its own, so a false part decides even when another lacks facts."""

    expr: Expr
    text: str  # the condition in Chinese
    shown: tuple[tuple[str, Unit], ...]  # the facts its explanation step shows, with their units
    line: int


@attrs.frozen
class CapLabel:
    """How a cap is named in its step: fixed text, or the key fact's value before `suffix` (一类新药上限)."""

    text: str | None
    key: str | None = None
    suffix: str = ""


@attrs.frozen
class Cap:
    """The amount becomes at most `value`. A cap read from a table is explained by its label alone; any
    other cap's working is shown only when it binds (`worked`)."""

    value: Expr
    label: CapLabel
    worked: bool
    line: int
    derived: bool = False  # the remainder of a scoped cap after what its scope already received
    after_offsets: bool = False  # applied after the offsets (扣除后封顶) rather than before them


@attrs.frozen
class Offset:
    """What was paid before, deducted (`offset`) or topped up to (`topup`); never below zero."""

    value: Expr
    label: str
    kind: Literal["offset", "topup"]
    line: int


@attrs.frozen
class Obligation:
    """承诺: what the enterprise keeps for `years` after each payment; the ledger claws back a grant it breaks."""

    years: int
    label: str  # in Chinese: 承诺在本市经营满5年
    expr: Expr
    line: int


@attrs.frozen
class Grant:
    """The amount: `exact` is determined, `up_to` a maximum, `range` from `low`, `case_by_case` 一事一议."""

    mode: Literal["exact", "up_to", "range", "case_by_case"]
    value: Expr | None  # for case_by_case, None (the caps give the maximum)
    low: Expr | None
    line: int


@attrs.frozen
class Clause:
    index: int
    id: str
    article: str | None
    title: str | None
    beneficiary: str | None  # in Chinese
    support: str | None  # in Chinese; None for cash
    line: int
    parties: tuple[str, ...]
    conditions: tuple[Condition, ...]
    grant: Grant
    caps: tuple[Cap, ...]
    offsets: tuple[Offset, ...]
    reads: tuple[str, ...] = ()  # the inputs it reads, its conditions' first, each once: a form's fields
    schedule: Schedule | None = None  # once and duration, which the ledger enforces across events
    subject: str | None = None  # what it pays for: grants for the same subject and item may not stack
    exclusive: bool = False  # 不可重复享受: nothing when the same subject and item was granted before
    obligations: tuple[Obligation, ...] = ()  # 承诺: kept after payment, or the ledger claws the grant back

    def adjustments(self) -> tuple[Cap | Offset, ...]:
        """The caps and offsets in the order they apply: caps, then offsets, then caps `after offsets`."""
        return (
            *(c for c in self.caps if not c.after_offsets),
            *self.offsets,
            *(c for c in self.caps if c.after_offsets),
        )


@attrs.frozen
class Received:
    """Where the ledger fills an amount already received from: earlier grants of these clauses (all when
    None), or of lower levels of government (`levels`), of the same item and period when said."""

    clauses: tuple[str, ...] | None
    levels: tuple[str, ...] | None  # for `received local`: the lower levels whose grants count
    same_item: bool
    period: Literal["year", "quarter", "month"] | None
    of: str | None = None  # the fact summed over the earlier grants, when not their amounts
    subject: str | None = None  # with `levels`: only their grants for this subject (事项)


@attrs.frozen
class Schedule:
    """A clause's rules over time: paid once per item (or enterprise), and for at most `years` calendar years."""

    once: bool  # 一次性 without a key
    once_key: str | None  # `once by` this input: once per value
    years: int | None  # 期限N年, counted from the first year paid


@attrs.frozen
class Input:
    name: str
    kind: str
    currency: str | None
    area: str | None
    label: str
    members: tuple[str, ...] | None
    default: Const | None
    member_labels: tuple[str, ...] | None = None  # how a form shows each member (一类新药, 完成I期…)
    received: Received | None = None  # filled from the ledger, when a history of grants is given
    ordinal: bool = False  # a rank among peers (第几名): a whole number from 1, not from 0


@attrs.frozen
class Let:
    """A definition, computed before the clauses when its facts allow; absent otherwise."""

    name: str
    value: Expr
    line: int


@attrs.frozen
class Limit:
    """A limit on the sum of several clauses' amounts (all when `clauses` is None)."""

    value: Expr
    clauses: tuple[str, ...] | None
    label: str


@attrs.frozen
class Program:
    """A whole policy, lowered."""

    policy: str
    title: str
    source: str
    effective: datetime.date | None
    expires: datetime.date | None
    inputs: tuple[Input, ...]
    let_inputs: dict[str, tuple[str, ...]]  # the inputs each definition is computed from, for "需补充"
    lets: tuple[Let, ...]
    clauses: tuple[Clause, ...]
    limits: tuple[Limit, ...]
    draft: bool = False  # a draft for comment (征求意见稿): evaluated, but never offered as in force
    events_from: datetime.date | None = None  # 项目认定时限: events before this day are not eligible
    region: str | None = None  # where it applies, for 从优就高不重复 with grants of the same region
    best_only: bool = False  # 从优、就高、不重复 with other grants of the same region for the same subject


def inputs_in(node: Any) -> set[str]:
    """The names of the facts an expression reads (definitions included, not followed)."""
    found: set[str] = set()
    if isinstance(node, Ref):
        found.add(node.name)
    elif isinstance(node, Table):
        found.add(node.key)
    if isinstance(node, tuple):
        for n in node:
            found |= inputs_in(n)
    elif attrs.has(type(node)):
        for f in attrs.fields(type(node)):
            found |= inputs_in(getattr(node, f.name))
    return found


def branches(e: Expr) -> tuple[Expr, ...] | None:
    """The expressions one of which is the value of `e` (min/max's arguments, a table's rows and default, the
    tiers' values), or None when `e` is no choice among values: what bounds `e` bounds them all."""
    match e:
        case Extreme(args=args):
            return args
        case Table(rows=rows, default=default):
            return tuple(r.value for r in rows) + ((default,) if default is not None else ())
        case Tiers(tiers=tiers):
            return tuple(t.value for t in tiers)
    return None


def walk(node: Any) -> Iterator[Any]:
    """Every node of the lowered form at or below `node`."""
    yield node
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):
            yield from walk(getattr(node, field.name))


def reached(node: Any, lets: Mapping[str, Expr] | None = None) -> Iterator[Any]:
    """Every node at or below `node`, and with `lets` those of each definition it reads (each once)."""
    seen: set[str] = set()
    pending = [node]
    while pending:
        for n in walk(pending.pop()):
            yield n
            if isinstance(n, Ref) and lets is not None and n.name in lets and n.name not in seen:
                seen.add(n.name)
                pending.append(lets[n.name])


def compared(node: Any, lets: Mapping[str, Expr] | None = None) -> dict[str, set[Any]]:
    """The values each fact is compared with at or below `node`, and the keys of its tables: where its answer
    can change. With `lets`, the definitions the node reads are followed too."""
    found: dict[str, set[Any]] = {}
    for n in reached(node, lets):
        if isinstance(n, Compare):
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if isinstance(a, Ref) and isinstance(b, Const):
                    found.setdefault(a.name, set()).add(b.value)
        elif isinstance(n, Table):
            found.setdefault(n.key, set()).update(k.value for row in n.rows for k in row.keys)
    return found
