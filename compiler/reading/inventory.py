"""Inventory of a policy document: its provisions by kind, and the most money they can grant as far as it is bounded."""

from __future__ import annotations

from decimal import Decimal

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.scopes import SCOPES
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
    annual: Decimal | None = None  # the most in one year: a quarterly clause pays four times (None when unbounded)


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
    # Every enterprise clause granted at its yearly maximum, clauses whose conditions exclude one another (one
    # enterprise type or another) counted once, at the larger; None if one is unbounded.
    sum_of_maxima: Decimal | None
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
                    "annual": money(e.annual),
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
        most = bounds.clause(p)
        entries.append(
            Entry(
                p.id,
                p.article,
                kind,
                p.beneficiary.id if p.beneficiary else None,
                most,
                g.support if g else None,
                bounds.annual(p, most),
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
    unbounded = tuple(e.id for e in enterprise if e.annual is None)
    clauses = {c.id: c for c in policy.clauses}
    total = None if unbounded else _most_together(enterprise, [clauses[e.id] for e in enterprise])
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

    def annual(self, c: ast.Clause, most: Decimal | None) -> Decimal | None:
        """The most a clause pays one enterprise in a year: once, or once a quarter or month where its caps are
        per quarter or per month, and never above a cap per year."""
        if most is None:
            return None
        scopes = {SCOPES.get(s) for cap in c.caps for s in cap.scopes}
        times = 12 if "每月" in scopes else 4 if "每季度" in scopes else 1
        annual = most * times
        for cap in c.caps:
            limit = self.upper(cap.value)
            if limit is not None and any(SCOPES.get(s) == "每年" for s in cap.scopes):
                annual = min(annual, max(limit, Decimal(0)))
        return annual

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


def _constraints(c: ast.Clause) -> dict[str, object]:
    """What each `when` of a clause requires of one input: a set of members, or an interval (low, high)."""
    out: dict[str, object] = {}
    for cond in c.conditions:
        for item in cond.items if isinstance(cond, ast.And) else (cond,):
            match item:
                case ast.InSet(subject=ast.Name(id=name), options=options) if all(
                    isinstance(o, ast.Name) for o in options
                ):
                    out[name] = frozenset(o.id for o in options if isinstance(o, ast.Name))
                case ast.Compare(op="==", left=ast.Name(id=name), right=ast.Name(id=member)):
                    out[name] = frozenset({member})
                case ast.Name(id=name):
                    out[name] = frozenset({"true"})
                case ast.Not(item=ast.Name(id=name)):
                    out[name] = frozenset({"false"})
                case ast.Compare(op=op, left=ast.Name(id=name), right=ast.Quantity(value=v)) if op in _INTERVALS:
                    out[name] = _INTERVALS[op](v)
    return out


# A comparison with a figure as an interval (low, low included, high, high included); None is unbounded.
_INTERVALS = {
    ">=": lambda v: (v, True, None, False),
    ">": lambda v: (v, False, None, False),
    "<=": lambda v: (None, False, v, True),
    "<": lambda v: (None, False, v, False),
}


def _apart(a: object, b: object) -> bool:
    """Whether two requirements on one input cannot both hold."""
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return not (a & b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        for lo, hi in ((a, b), (b, a)):  # lo's lower end above hi's upper end
            low, low_in, high, high_in = lo[0], lo[1], hi[2], hi[3]
            if low is not None and high is not None and (low > high or (low == high and not (low_in and high_in))):
                return True
    return False


def _most_together(entries: list[Entry], clauses: list[ast.Clause]) -> Decimal:
    """The largest sum of yearly maxima over clauses one enterprise can meet together: clauses whose conditions
    exclude one another (研发型企业 or 工业企业; 超过 1亿 or 不满 1亿) are never both paid."""
    needs = [_constraints(c) for c in clauses]
    n = len(entries)
    apart = [
        {j for j in range(n) if j != i and any(k in needs[j] and _apart(v, needs[j][k]) for k, v in needs[i].items())}
        for i in range(n)
    ]
    values = [e.annual or Decimal(0) for e in entries]
    # Clauses apart from none are always paid; the rest are solved one connected group at a time, where an
    # exhaustive search over a handful of clauses is quick.
    seen: set[int] = set()
    total = Decimal(0)
    for start in range(n):
        if start in seen:
            continue
        group, stack = [], [start]
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                group.append(i)
                stack.extend(apart[i])
        total += _best_group(sorted(group), apart, values)
    return total


def _best_group(group: list[int], apart: list[set[int]], values: list[Decimal]) -> Decimal:
    """The largest sum over clauses of a group no two of which exclude one another (branch and bound)."""
    best = Decimal(0)

    def search(k: int, chosen: frozenset[int], total: Decimal, rest: Decimal) -> None:
        nonlocal best
        if k == len(group) or total + rest <= best:
            best = max(best, total)
            return  # done, or even every clause left could not beat the best found
        i = group[k]
        if not (apart[i] & chosen):
            search(k + 1, chosen | {i}, total + values[i], rest - values[i])
        search(k + 1, chosen, total, rest - values[i])

    search(0, frozenset(), Decimal(0), sum((values[i] for i in group), Decimal(0)))
    return best


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
        "否则为各企业类条款一年内按最高额计的合计（按季度、按月封顶的条款计 4 次、12 次；条件互斥的条款，"
        "如研发型企业与工业企业，只计较高的一项），有条款无封顶时为“无上限”。",
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
