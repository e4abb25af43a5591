"""Scopes of caps and limits, and the pass that makes each one bind across an enterprise's grants.

A cap written `cap 50万 per year` promises that the enterprise gets at most 50万 from the clause in a
year, however many applications it makes. One evaluation sees one application, so the pass gives the
cap what the year has already paid: it derives an input, filled by the ledger from earlier grants of
the clause in the same scope (and stated by the applicant in a single evaluation, default 0), and
makes the cap `50万 − that input`. The same holds for a document `limit` over the clauses it names. A
cap or limit that already deducts a `received` input is bound by the drafter and left as written.
"""

from __future__ import annotations

import re
from decimal import Decimal

import attrs

from pol.dsl import ast
from pol.dsl.source import Span
from pol.dsl.units import CNY

# The scopes of a cap or a limit, each spelling with its canonical Chinese name.
SCOPES = {
    "year": "每年",
    "quarter": "每季度",
    "month": "每月",
    "product": "单品种",
    "enterprise": "单个企业",
    "project": "单个项目",
    "policy": "单个保单",
    "total": "累计",
    "每年": "每年",
    "每季度": "每季度",
    "每月": "每月",
    "每个月": "每月",
    "单品种": "单品种",
    "每个品种": "单品种",
    "单个企业": "单个企业",
    "每家企业": "单个企业",
    "每个项目": "单个项目",
    "单个项目": "单个项目",
    "单个保单": "单个保单",
    "累计": "累计",
}
# What `received … per …` may be restricted to: the same product, project or insurance policy (the
# event's item), the same year or quarter, or everything.
RECEIVED_SCOPES = {
    "product": "单品种",
    "project": "单个项目",
    "policy": "单个保单",
    "year": "每年",
    "quarter": "每季度",
    "month": "每月",
    "total": "累计",
    "enterprise": "单个企业",
    "单品种": "单品种",
    "每个品种": "单品种",
    "单个项目": "单个项目",
    "每个项目": "单个项目",
    "单个保单": "单个保单",
    "每年": "每年",
    "每季度": "每季度",
    "每月": "每月",
    "每个月": "每月",
    "累计": "累计",
    "单个企业": "单个企业",
    "每家企业": "单个企业",
}
# Scopes that keep the event's own item (product, project, insurance policy), and the periods.
ITEM_SCOPES = {"单品种": "该品种", "单个项目": "该项目", "单个保单": "该保单"}
PERIOD_SCOPES = {"每月": "本月", "每季度": "本季度", "每年": "本年"}  # finest first
# How a label names the period and item an amount already received is counted in.
_PERIOD_WORDS = {"每月": "本月", "每季度": "本季度", "每年": "本年度"}


def period(scopes: set[str]) -> str | None:
    """The period a set of canonical scopes counts in: 每月, 每季度, 每年, or None for all time."""
    return next((p for p in PERIOD_SCOPES if p in scopes), None)


def item_scope(scopes: set[str]) -> str | None:
    """The item scope (单品种, 单个项目, 单个保单) among canonical scopes, or None for the whole enterprise."""
    return next((s for s in ITEM_SCOPES if s in scopes), None)


def already(scopes: tuple[str, ...]) -> str:
    """Where an amount already received counts, in words: 同一年度, 同一项目同一季度, 累计 …"""
    canon = {SCOPES[s] for s in scopes if s in SCOPES}
    item, when = item_scope(canon), period(canon)
    words = {"单品种": "同一品种", "单个项目": "同一项目", "单个保单": "同一保单"}.get(item or "", "")
    words += {"每年": "同一年度", "每季度": "同一季度", "每月": "同一月份"}.get(when or "", "")
    return words or "累计"


def bind(module: ast.Module) -> ast.Module:
    """The module with every scoped cap and limit deducting what its scope already received (see module doc)."""
    received = {d.name for d in module.decls if isinstance(d, ast.InputDecl) and d.received is not None}
    taken = {d.name for d in module.decls if isinstance(d, (ast.InputDecl, ast.LetDecl))}
    lets = {d.name: d for d in module.decls if isinstance(d, ast.LetDecl)}
    inputs = {d.name for d in module.decls if isinstance(d, ast.InputDecl)}

    def bound(e: ast.Expr) -> bool:
        """Whether the expression already deducts an amount received (directly or through definitions): a
        `received` input anywhere, or any input subtracted at the top (`50万 − 本年已获` is the drafter's binding,
        and a second deduction would count the same grants twice)."""
        if isinstance(e, ast.BinOp) and e.op == "-" and any(n in inputs for n in ast.names_in(e.right)):
            return True
        seen: set[str] = set()
        stack = list(ast.names_in(e))
        while stack:
            name = stack.pop()
            if name in received:
                return True
            if name in lets and name not in seen:
                seen.add(name)
                stack.extend(ast.names_in(lets[name].expr))
        return False

    def derive(scopes: tuple[str, ...], whose: str, what: str, clauses: tuple[ast.Name, ...], span: Span) -> str:
        """Declare the input that the scope has already received, and return its name."""
        canon = {SCOPES[s] for s in scopes if s in SCOPES}
        item, when = item_scope(canon), period(canon)
        prefix = (ITEM_SCOPES[item] if item else "") + (PERIOD_SCOPES[when] if when else "")
        name = f"{prefix or '累计'}已获{whose}"
        while name in taken:
            name += "_"
        taken.add(name)
        holder = {"单品种": "该品种", "单个项目": "该项目", "单个保单": "该保单"}.get(item or "", "本企业")
        label = f"{holder}{_PERIOD_WORDS.get(when or '', '此前累计')}已获{what}（申请人自报）"
        keep = tuple(s for s in scopes if SCOPES.get(s) in RECEIVED_SCOPES.values())
        decl = ast.InputDecl(
            name=name,
            type=ast.TypeRef(name="money", arg=None, per=None, span=span),
            label=label,
            default=ast.Quantity(value=Decimal(0), unit=CNY, text="0元", span=span),
            span=span,
            received=ast.Received(clauses=clauses, scopes=keep, local=False, span=span),
            derived=True,
        )
        out.append(decl)
        return name

    def deduct(value: ast.Expr, name: str, span: Span) -> ast.Expr:
        return ast.BinOp(op="-", left=value, right=ast.Name(id=name, span=span), span=span)

    out: list[ast.Decl] = []
    for d in module.decls:
        if isinstance(d, ast.Clause) and any(c.scopes and not bound(c.value) for c in d.caps):
            before = len(out)
            caps = []
            for cap in d.caps:
                caps.append(cap)
                if cap.scopes and not bound(cap.value):
                    # The cap stays as written, so an application alone reads as before; the remainder
                    # after it binds only when the scope has already received something.
                    what = f"“{d.title.value if d.title else d.id}”"
                    name = derive(cap.scopes, d.id, what, (ast.Name(id=d.id, span=d.id_span),), cap.span)
                    label = (cap.label or "".join(SCOPES.get(s, s) for s in cap.scopes) + "上限") + "余额"
                    caps.append(attrs.evolve(cap, value=deduct(cap.value, name, cap.span), label=label, derived=True))
            # The derived inputs go before the clause, where a drafter would have declared them.
            out[before:] = [*out[before:], attrs.evolve(d, caps=tuple(caps))]
        elif isinstance(d, ast.Limit) and d.scopes and not bound(d.value):
            article = re.sub(r"\W", "", d.article or "")
            whose = (f"第{article}条" if article.isdigit() else article) or ("限额条款" if d.clauses else "本文件")
            what = f"{'、'.join(n.id for n in d.clauses)}资助" if d.clauses else "本文件各条资助"
            name = derive(d.scopes, f"{whose}资助", what, d.clauses, d.span)
            out.append(attrs.evolve(d, value=deduct(d.value, name, d.span), label=d.label or None))
        else:
            out.append(d)
    return attrs.evolve(module, decls=tuple(out))
