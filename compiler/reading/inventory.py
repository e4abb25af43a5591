"""Inventory of a policy document: its provisions by kind, and the most money they can grant as far as it is bounded."""

from __future__ import annotations

from decimal import Decimal

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.types import QuantityT
from pol.compiler.reading.markdown import inline
from pol.compiler.runtime import format_money
from pol.dsl import ast

# The kinds a provision is counted under, in the order the inventory shows them.
KINDS = {
    "computable": "可计算",
    "up_to": "最高限额（酌定）",
    "range": "区间（酌定）",
    "case_by_case": "一事一议",
    "qualitative": "定性措施",
}


@attrs.frozen
class Entry:
    """One provision: its id, article, kind and the most one application of it can grant (None when unbounded)."""

    id: str
    article: str | None
    kind: str
    beneficiary: str | None
    maximum: Decimal | None
    support: str | None


@attrs.frozen
class Inventory:
    """A document's provisions by kind, its articles in order, and its bound per enterprise per year."""

    name: str
    title: str
    number: str | None
    level: str | None
    status: str | None
    entries: tuple[Entry, ...]
    articles: tuple[str, ...]
    annual_limit: Decimal | None  # a document-wide 单个企业每年 limit, when the text sets one
    sum_of_maxima: Decimal | None  # every enterprise clause granted once at its maximum; None if one is unbounded
    unbounded: tuple[str, ...]  # enterprise clauses without a maximum

    def count(self, kind: str) -> int:
        return sum(e.kind == kind for e in self.entries)

    @property
    def annual_maximum(self) -> Decimal | None:
        """The most the document can grant one enterprise in one year, where that is bounded."""
        if self.annual_limit is not None:
            return self.annual_limit if self.sum_of_maxima is None else min(self.annual_limit, self.sum_of_maxima)
        return self.sum_of_maxima

    def to_json(self) -> dict[str, object]:
        money = lambda v: None if v is None else str(v)  # noqa: E731
        return {
            "policy": self.name,
            "title": self.title,
            "number": self.number,
            "level": self.level,
            "status": self.status,
            "counts": {k: self.count(k) for k in KINDS},
            "articles": list(self.articles),
            "annual_limit": money(self.annual_limit),
            "sum_of_maxima": money(self.sum_of_maxima),
            "annual_maximum": money(self.annual_maximum),
            "unbounded": list(self.unbounded),
            "provisions": [
                {
                    "id": e.id,
                    "article": e.article,
                    "kind": e.kind,
                    "beneficiary": e.beneficiary,
                    "maximum": money(e.maximum),
                    "support": e.support,
                }
                for e in self.entries
            ],
        }


def inventory(policy: CheckedPolicy) -> Inventory:
    """Count a checked policy's provisions by kind and bound what it can grant."""
    bounds = _Bounds(policy)
    entries: list[Entry] = []
    for p in policy.provisions:
        if isinstance(p, ast.Measure):
            entries.append(Entry(p.id, p.article, "qualitative", None, None, None))
            continue
        g = p.grant
        kind = "computable" if g is None or g.mode == "exact" else g.mode
        entries.append(
            Entry(
                p.id,
                p.article,
                kind,
                p.beneficiary.id if p.beneficiary else None,
                bounds.clause(p),
                g.support if g else None,
            )
        )
    articles: list[str] = []
    for e in entries:
        if e.article and e.article not in articles:
            articles.append(e.article)
    annual = [
        bounds.upper(lim.value)
        for lim in policy.limits
        if not lim.clauses and _scoped(lim.scopes, "enterprise") and _scoped(lim.scopes, "year")
    ]
    annual_limit = min((a for a in annual if a is not None), default=None)
    enterprise = [
        e
        for e in entries
        if e.kind != "qualitative"
        and e.beneficiary in (None, "enterprise", "企业")
        and e.support in (None, "cash", "资金")
    ]
    unbounded = tuple(e.id for e in enterprise if e.maximum is None)
    total = None if unbounded else sum((e.maximum for e in enterprise if e.maximum is not None), Decimal(0))
    h = policy.header
    return Inventory(
        name=str(h.get("name", "")),
        title=str(h.get("title", "")),
        number=_text(h.get("number")),
        level=_text(h.get("level")),
        status=_text(h.get("status")),
        entries=tuple(entries),
        articles=tuple(articles),
        annual_limit=annual_limit,
        sum_of_maxima=total,
        unbounded=unbounded,
    )


def _scoped(scopes: tuple[str, ...], what: str) -> bool:
    words = {"enterprise": ("enterprise", "单个企业", "每家企业"), "year": ("year", "每年")}[what]
    return any(s in words for s in scopes)


class _Bounds:
    """Static upper and lower bounds of expressions: inputs of money are at least 0 and unbounded above."""

    def __init__(self, policy: CheckedPolicy):
        self.policy = policy

    def clause(self, c: ast.Clause) -> Decimal | None:
        g = c.grant
        if g is None:
            return None
        if g.mode == "range":
            best = self.upper(g.high) if g.high is not None else None
        elif g.mode == "case_by_case":
            best = self.upper(g.value) if g.value is not None else None
        else:
            best = self.upper(g.value) if g.value is not None else None
        for cap in c.caps:
            limit = self.upper(cap.value)
            if limit is not None:
                best = limit if best is None else min(best, limit)
        return None if best is None else max(best, Decimal(0))

    def upper(self, e: ast.Expr | None) -> Decimal | None:
        match e:
            case ast.Quantity():
                return e.value
            case ast.Name():
                ref = self.policy.ref(e)
                if ref is not None and ref.kind == "let":
                    return self.upper(self.policy.lets[ref.target][1].expr)
                return None
            case ast.BinOp(op="+"):
                a, b = self.upper(e.left), self.upper(e.right)
                return None if a is None or b is None else a + b
            case ast.BinOp(op="-"):
                a, b = self.upper(e.left), self.lower(e.right)
                return None if a is None or b is None else a - b
            case ast.BinOp(op="*"):
                a, b = self.upper(e.left), self.upper(e.right)
                return None if a is None or b is None else a * b
            case ast.Call(func="min"):
                known = [u for u in (self.upper(a) for a in e.args) if u is not None]
                return min(known) if known else None
            case ast.Call(func="max"):
                values = [self.upper(a) for a in e.args]
                return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
            case ast.ByTable():
                values = [self.upper(r.value) for r in e.entries] + ([self.upper(e.default)] if e.default else [])
                return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
            case ast.Tiers():
                values = [self.upper(t.value) for t in e.entries]
                return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]
        return None

    def lower(self, e: ast.Expr | None) -> Decimal | None:
        match e:
            case ast.Quantity():
                return e.value
            case ast.Name():
                ty = self.policy.type_of(e)
                if isinstance(ty, QuantityT):
                    return Decimal(0)  # facts are never negative
                return None
            case ast.BinOp(op="+"):
                a, b = self.lower(e.left), self.lower(e.right)
                return None if a is None or b is None else a + b
            case ast.BinOp(op="*"):
                a, b = self.lower(e.left), self.lower(e.right)
                return None if a is None or b is None else a * b
            case ast.Call(func="max"):
                known = [v for v in (self.lower(a) for a in e.args) if v is not None]
                return max(known) if known else None
        return None


def annual_text(i: Inventory) -> str:
    """The bound per enterprise per year, or why there is none."""
    if not any(e.kind != "qualitative" and e.beneficiary in (None, "enterprise") for e in i.entries):
        return "无企业资金条款"
    if i.annual_maximum is not None:
        return format_money(i.annual_maximum)
    return f"无上限（{len(i.unbounded)} 条无封顶）" if i.unbounded else "—"


def inventory_markdown(items: list[Inventory]) -> str:
    """The inventory as a Markdown page: one summary table, then each document's provisions."""
    lines = [
        "# 政策条款清单",
        "",
        "每份文件按条款类型计数。“单个企业每年最高”在文件规定了单个企业年度总额上限时取该上限；"
        "否则为各企业类条款各申请一次、按最高额计的合计，有条款无封顶时为“无上限”。",
        "",
        "| 文件 | " + " | ".join(KINDS.values()) + " | 单个企业每年最高 |",
        "|---|" + "---:|" * (len(KINDS) + 1),
    ]
    for i in items:
        lines.append(f"| {inline(i.title)} | " + " | ".join(str(i.count(k)) for k in KINDS) + f" | {annual_text(i)} |")
    for i in items:
        lines += ["", f"## {inline(i.title)}", ""]
        if i.number:
            lines += [f"{inline(i.number)}；共 {len(i.articles)} 个条目，{len(i.entries)} 项规定。", ""]
        lines += ["| 条目 | 规定 | 类型 | 单次最高 |", "|---|---|---|---:|"]
        for e in i.entries:
            most = format_money(e.maximum) if e.maximum is not None else ("—" if e.kind == "qualitative" else "无封顶")
            lines.append(f"| {inline(e.article or '')} | {e.id} | {KINDS[e.kind]} | {most} |")
    return "\n".join(lines) + "\n"


def _text(value: object) -> str | None:
    """A header field's text, if the header gives it."""
    return None if value is None else str(value)
