"""The typed syntax tree of a policy file: frozen nodes, each carrying its source span."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal, Union

import attrs

from pol.dsl.source import Span
from pol.dsl.units import Unit
from pol.dsl.words import CompareOp

# Every node is frozen, built by keyword, and hashes once. Written out on each class (not through an
# alias) so that type checkers see the attrs classes and their fields.

# ---------------------------------------------------------------- expressions


@attrs.frozen(kw_only=True, cache_hash=True)
class Quantity:
    """A number with its unit, as written (`3000万`, `40%`, `3万元/亩`), valued in base units."""

    value: Decimal
    unit: Unit
    text: str
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class DateLit:
    """A calendar date such as `2021-11-01`."""

    value: datetime.date
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class BoolLit:
    """`true`/`是` or `false`/`否`."""

    value: bool
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Name:
    """A reference to an input, a definition or an enumeration member."""

    id: str
    span: Span


# `every` is 每满/每增加: the number of whole steps in a quantity, none when it is not above zero.
BinOpKind = Literal["+", "-", "*", "/", "every"]
MulForm = Literal["times", "of", "de"]


@attrs.frozen(kw_only=True, cache_hash=True)
class BinOp:
    """`left op right`; for products `form` remembers whether the drafter wrote ×, `of` or `的`."""

    op: BinOpKind
    left: Expr
    right: Expr
    span: Span
    form: MulForm = "times"


@attrs.frozen(kw_only=True, cache_hash=True)
class Call:
    """`min(a, b, …)` or `max(a, b, …)`."""

    func: Literal["min", "max"]
    args: tuple[Expr, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Compare:
    """`left op right`, keeping the legal word (以上, 超过, …) or symbol the drafter used."""

    op: CompareOp
    left: Expr
    right: Expr
    word: str
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class InSet:
    """`subject in (a, b, c)`: membership in a list of enumeration members or values."""

    subject: Expr
    options: tuple[Expr, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class And:
    """All of `items` hold (且)."""

    items: tuple[Expr, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Or:
    """At least one of `items` holds (或)."""

    items: tuple[Expr, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Not:
    """`item` does not hold (非)."""

    item: Expr
    span: Span


# A forward reference (the classes come later), so typing.Union rather than |.
TableKey = Union["Name", "Quantity", "BoolLit"]  # noqa: UP007


@attrs.frozen(kw_only=True, cache_hash=True)
class TableEntry:
    """One row of a `by` table: the keys it matches and the value it gives."""

    keys: tuple[TableKey, ...]
    value: Expr
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class ByTable:
    """`by key { k: v, … }`: the value of the row whose key matches, such as a cap per drug class."""

    key: Name
    entries: tuple[TableEntry, ...]
    default: Expr | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Tier:
    """One tier: when `condition` holds, the tier's `value` applies."""

    condition: Expr
    value: Expr
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Tiers:
    """`tiers { … }`: the value of the highest tier whose condition holds."""

    entries: tuple[Tier, ...]
    span: Span


Expr = Quantity | DateLit | BoolLit | Name | BinOp | Call | Compare | InSet | And | Or | Not | ByTable | Tiers

# ---------------------------------------------------------------- clauses

GrantMode = Literal["exact", "up_to", "range", "case_by_case"]


@attrs.frozen(kw_only=True, cache_hash=True)
class Grant:
    """What a clause gives: an exact amount, a maximum, a range, or a case-by-case decision."""

    mode: GrantMode
    value: Expr | None  # exact / up_to amount; the maximum of case_by_case when given
    low: Expr | None  # range only
    high: Expr | None  # range only
    support: str | None  # kind of support other than a cash grant, e.g. 股权投资
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Cap:
    """An upper limit on a clause's amount, with the scope it applies to (per year, per product, …)."""

    value: Expr
    scopes: tuple[str, ...]
    label: str | None
    span: Span
    derived: bool = False  # the remainder the compiler adds after a scoped cap (compiler/check/scopes.py)
    after_offsets: bool = False  # applies after the clause's offsets (扣除后封顶), not before them


@attrs.frozen(kw_only=True, cache_hash=True)
class Offset:
    """Subtract amounts already paid: `offset` (包括已发扶持资金) or `topup` (晋级补差)."""

    kind: Literal["offset", "topup"]
    value: Expr
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Waiver:
    """Figures of the original text that the rule deliberately does not use, with the reason (for `pol lint`)."""

    values: tuple[Quantity, ...]
    reason: str
    span: Span
    words: tuple[str, ...] = ()  # scope words of the original the rule does not bind (每年, 一次性 …)


@attrs.frozen(kw_only=True, cache_hash=True)
class Text:
    """A string field of a clause or policy, with the span of its value."""

    value: str
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Fact:
    """One fact of a worked example: `name = literal`."""

    name: Name
    value: Expr
    span: Span


ExpectKind = Literal["amount", "up_to", "range", "not_eligible", "case_by_case"]


@attrs.frozen(kw_only=True, cache_hash=True)
class Expect:
    """What a worked example must produce."""

    kind: ExpectKind
    amount: Quantity | None
    low: Quantity | None
    high: Quantity | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Example:
    """A worked example: facts about an applicant and the result the clause must give."""

    name: str
    facts: tuple[Fact, ...]
    expect: Expect
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Clause:
    """A provision that can grant money or other support, with its provenance and examples."""

    id: str
    article: str | None
    title: Text | None
    original: Text | None
    beneficiary: Name | None
    stages: tuple[Name, ...]  # stages of a product's life the provision supports
    subject: Name | None  # what it pays for, from the subjects taxonomy; overlapping grants share one
    exclusive: Text | None  # 不可重复享受: never combined with another grant for the same subject
    parties: tuple[Text, ...]
    lead: tuple[Text, ...]
    responsible: tuple[Text, ...]
    notes: tuple[Text, ...]
    waivers: tuple[Waiver, ...]
    conditions: tuple[Expr, ...]
    grant: Grant | None
    caps: tuple[Cap, ...]
    offsets: tuple[Offset, ...]
    duration: Quantity | None
    examples: tuple[Example, ...]
    span: Span
    id_span: Span
    once: Once | None = None  # 一次性: paid once per item, or once per value of a fact
    obligations: tuple[Obligation, ...] = ()  # 承诺: kept after payment, or the grant is clawed back
    todos: tuple[Todo, ...] = ()  # 待定: judgements left open, each a warning
    # How to apply, as the text states it: (materials, procedure, window, office or contact, the text).
    application: tuple[tuple[str, Text], ...] = ()


@attrs.frozen(kw_only=True, cache_hash=True)
class Todo:
    """A judgement left open (待定), with the figures of the original it concerns: POL108 until settled."""

    values: tuple[Quantity, ...]
    text: str
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Obligation:
    """承诺: a condition the enterprise keeps for `term` years after each payment, or the grant is clawed back."""

    term: Quantity
    condition: Expr
    label: str | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Once:
    """一次性: the ledger pays the clause once per product or project, or once for each value of `key`."""

    key: Name | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Measure:
    """A qualitative measure: text and responsible units, no money rule."""

    id: str
    article: str | None
    title: Text | None
    original: Text | None
    stages: tuple[Name, ...]
    lead: tuple[Text, ...]
    responsible: tuple[Text, ...]
    notes: tuple[Text, ...]
    waivers: tuple[Waiver, ...]
    span: Span
    id_span: Span
    # 共同条件: the text states conditions every clause shares; its plain reading, empty when the original says it.
    general: Text | None = None
    todos: tuple[Todo, ...] = ()  # 待定: judgements left open, each a warning


# ---------------------------------------------------------------- declarations


@attrs.frozen(kw_only=True, cache_hash=True)
class EnumMember:
    """One member of an enumeration, with an optional Chinese label."""

    name: str
    label: str | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class EnumDecl:
    """`enum 新药类别 { 一类新药, 二类新药 }`."""

    name: str
    label: str | None
    members: tuple[EnumMember, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class TypeRef:
    """A type as written: `money`, `money(美元)`, `area(亩)`, `money/亩`, `bool`, or an enum's name."""

    name: str
    arg: str | None
    per: str | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Received:
    """`received 创新药研发 per product`: the input is filled from a profile's ledger of earlier grants."""

    clauses: tuple[Name, ...]  # empty: every clause of the policy (or every lower or higher level's grant)
    scopes: tuple[str, ...]
    local: bool  # grants of lower levels of government (地方), not this policy's own
    span: Span
    of: Name | None = None  # the sum is of this fact over the earlier grants, not of their amounts
    higher: bool = False  # grants of higher levels of government (上级), not this policy's own
    subject: Name | None = None  # with local or higher: only their grants for this subject (事项)


@attrs.frozen(kw_only=True, cache_hash=True)
class InputDecl:
    """A fact the applicant supplies: `input 临床研发费用: money "单品种临床研发费用"`."""

    name: str
    type: TypeRef
    label: str | None
    default: Expr | None
    span: Span
    received: Received | None = None
    earlier: Earlier | None = None
    derived: bool = False  # declared by the compiler for a cap's or limit's scope (compiler/check/scopes.py)


@attrs.frozen(kw_only=True, cache_hash=True)
class Earlier:
    """`earlier 年销售收入 突破 10亿`: whether an earlier year's event met the comparison, read from the ledger."""

    condition: Expr
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class LetDecl:
    """A named value computed from inputs: `let 年亩产税收 = 园区年税收 / 园区面积`."""

    name: str
    expr: Expr
    label: str | None
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class Limit:
    """A limit across clauses, such as 单个企业每年资助总额最高不超过 8000 万元."""

    article: str | None  # the article that states the limit, as printed
    value: Expr
    scopes: tuple[str, ...]
    clauses: tuple[Name, ...]  # empty: every clause of the policy
    label: str | None
    span: Span


MetaValue = Text | DateLit | Name | Quantity


@attrs.frozen(kw_only=True, cache_hash=True)
class MetaField:
    """`key: value[, value…]` in the policy header."""

    key: str
    values: tuple[MetaValue, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class PolicyHeader:
    """`policy NAME { … }`: the document's metadata."""

    name: str
    fields: tuple[MetaField, ...]
    span: Span


@attrs.frozen(kw_only=True, cache_hash=True)
class PolicyExample:
    """A worked example of the whole document: facts, and the total every clause gives after the limits."""

    name: str
    facts: tuple[Fact, ...]
    expect: Expect
    span: Span


Decl = PolicyHeader | EnumDecl | InputDecl | LetDecl | Clause | Measure | Limit | PolicyExample


@attrs.frozen(kw_only=True, cache_hash=True)
class Module:
    """Everything declared in one policy file, in source order."""

    path: str
    decls: tuple[Decl, ...]

    @property
    def header(self) -> PolicyHeader | None:
        return next((d for d in self.decls if isinstance(d, PolicyHeader)), None)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(d for d in self.decls if isinstance(d, Clause))


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of an AST node class, its span left out (None for anything else, a Span too), looked up
    once per class: what a pass walking the tree visits."""
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        is_node = attrs.has(cls) and cls is not Span
        names = tuple(f.name for f in attrs.fields(cls) if f.name != "span") if is_node else None
        _FIELD_NAMES[cls] = names
        return names


def nodes(e: object) -> Iterator[object]:
    """Every node at or below a node or a tuple of nodes (spans left out), for passes that look for one kind."""
    stack: list[object] = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
        elif (names := field_names(type(node))) is not None:
            yield node
            for name in names:
                v = getattr(node, name)
                if isinstance(v, tuple) or (attrs.has(type(v)) and not isinstance(v, Span)):
                    stack.append(v)


def names_in(e: object) -> list[str]:
    """The names used anywhere inside a node or a tuple of nodes."""
    out: list[str] = []
    stack: list[object] = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            out.append(node.id)
        elif isinstance(node, tuple):
            stack.extend(node)
        elif (names := field_names(type(node))) is not None:
            for name in names:
                v = getattr(node, name)
                if isinstance(v, tuple):
                    stack.extend(v)
                elif attrs.has(type(v)):
                    stack.append(v)
    return out
