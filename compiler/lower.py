"""Lower a checked policy into the target-neutral form of `compiler.ir` that every backend reads."""

from __future__ import annotations

import datetime
from pathlib import PurePath
from typing import assert_never

from pol.compiler import ir
from pol.compiler.check import chinese, validity
from pol.compiler.check.checker import CheckedPolicy, names_in
from pol.compiler.check.ranks import RANK_TYPES
from pol.compiler.check.scopes import RECEIVED_SCOPES, SCOPES, item_scope, period
from pol.compiler.check.types import BoolT, DateT, EnumT, ErrorT, QuantityT, Ty
from pol.compiler.check.vocabulary import BENEFICIARIES, OVERLAP, SUPPORT_KINDS, other_levels
from pol.dsl import ast


def unit_of(ty: Ty) -> ir.Unit:
    """The runtime's (kind, currency, area) for a type, used to format values in explanations."""
    match ty:
        case QuantityT(unit=u):
            return (u.kind, u.currency, u.area)
        case DateT():
            return ("date", None, None)
        case BoolT():
            return ("bool", None, None)
        case EnumT() | ErrorT():
            return ("enum", None, None)
        case _:
            assert_never(ty)


def reads(policy: CheckedPolicy, parts: object) -> tuple[str, ...]:
    """The inputs the parts of a clause read, in order of first use, definitions taken back to their inputs."""
    out: list[str] = []

    def visit(names: list[str]) -> None:
        for n in reversed(names):  # names_in lists the last name first
            if n in policy.lets:
                visit(names_in(policy.lets[n][1].expr))
            elif n in policy.inputs and n not in out:
                out.append(n)

    for part in parts:  # type: ignore[attr-defined]
        visit(names_in(part))
    return tuple(out)


class Lowering:
    """Walks one checked policy; `program()` gives its lowered form."""

    def __init__(self, policy: CheckedPolicy, source_path: str):
        self.p = policy
        # The file's name only: a build is then byte-identical whatever folder the checkout is in.
        self.path = PurePath(source_path).name

    def unit(self, e: ast.Expr) -> ir.Unit:
        return unit_of(self.p.type_of(e))

    def label(self, e: ast.Expr) -> ir.Label:
        return (e.id if isinstance(e, ast.Name) else None, self.unit(e))

    # ------------------------------------------------------------ expressions

    def expr(self, e: ast.Expr) -> ir.Expr:
        match e:
            case ast.Quantity(value=v) | ast.DateLit(value=v) | ast.BoolLit(value=v):
                return ir.Const(v, self.unit(e))
            case ast.Name(id=i):
                ref = self.p.ref(e)
                if ref is not None and ref.kind == "member":
                    return ir.Const(i, ("enum", None, None))
                if ref is not None and ref.kind == "let" and self.counts_steps(i):
                    # A definition that counts whole steps (每满) is computed in place, so the explanation
                    # shows its steps ("2999平方米 每满 1000平方米，计 2 份") rather than only its value.
                    return self.expr(self.p.lets[i][1].expr)
                return ir.Ref(i, self.unit(e))
            case ast.BinOp(op=op, left=left, right=right, form=form):
                if op == "*" and form == "of":  # `40% of X` is shown as `X × 40%`
                    left, right = right, left
                return ir.Arith(
                    op, self.expr(left), self.expr(right), self.label(left), self.label(right), self.unit(e)
                )
            case ast.Call(func=func, args=args):
                return ir.Extreme(
                    func, tuple(self.expr(a) for a in args), tuple(self.label(a) for a in args), self.unit(e)
                )
            case ast.Compare(op=op, left=left, right=right):
                return ir.Compare(op, self.expr(left), self.expr(right))
            case ast.InSet(subject=subject, options=options):
                return ir.OneOf(self.expr(subject), tuple(self.expr(o) for o in options))
            case ast.And(items=items):
                return ir.All(tuple(self.expr(i) for i in items))
            case ast.Or(items=items):
                return ir.AnyOf(tuple(self.expr(i) for i in items))
            case ast.Not(item=item):
                return ir.Not(self.expr(item))
            case ast.ByTable():
                rows = tuple(
                    ir.Row(tuple(self.key(k, e.key) for k in entry.keys), self.expr(entry.value)) for entry in e.entries
                )
                default = self.expr(e.default) if e.default is not None else None
                return ir.Table(e.key.id, self.unit(e.key), rows, default, self.unit(e), e.span.line)
            case ast.Tiers():
                tiers = tuple(
                    ir.Tier(n, self.expr(t.condition), chinese.expr(t.condition), self.expr(t.value))
                    for n, t in enumerate(e.entries, start=1)
                )
                return ir.Tiers(
                    tiers, self.unit(e), "未达到任何一档：" + chinese.expr(e.entries[0].condition), e.span.line
                )
            case _:
                assert_never(e)

    def key(self, k: ast.Expr, by: ast.Name) -> ir.Const:
        lowered = self.expr(k)
        assert isinstance(lowered, ir.Const), k
        return ir.Const(lowered.value, self.unit(by))

    # ------------------------------------------------------------ clauses

    def shown(self, e: ast.Expr) -> tuple[tuple[str, ir.Unit], ...]:
        """The facts a condition mentions, last first, so its explanation step can show their values."""
        types = {**{k: v[0] for k, v in self.p.inputs.items()}, **{k: v[0] for k, v in self.p.lets.items()}}
        seen: list[str] = []
        for n in reversed(names_in(e)):
            if n not in seen and n in types:
                seen.append(n)
        return tuple((n, unit_of(types[n])) for n in seen)

    def cap_label(self, cap: ast.Cap) -> ir.CapLabel:
        if cap.label:
            return ir.CapLabel(cap.label)
        scope = "".join(SCOPES[s] for s in cap.scopes if s in SCOPES)
        if isinstance(cap.value, ast.ByTable):
            return ir.CapLabel(None, cap.value.key.id, scope + "上限")
        return ir.CapLabel(scope + "上限")

    def clause(self, index: int, c: ast.Clause) -> ir.Clause:
        g = c.grant
        assert g is not None
        # Each part of a `when … 且 …` is checked on its own, so a false part decides even when another
        # part's facts are missing, and every missing fact is named at once.
        parts = [item for cond in c.conditions for item in (cond.items if isinstance(cond, ast.And) else (cond,))]
        conditions = tuple(ir.Condition(self.expr(p), chinese.expr(p), self.shown(p), p.span.line) for p in parts)
        value = None if g.mode == "case_by_case" else self.expr(g.high if g.mode == "range" else g.value)  # type: ignore[arg-type]
        low = self.expr(g.low) if g.mode == "range" and g.low is not None else None
        caps = tuple(
            ir.Cap(
                self.expr(cap.value),
                self.cap_label(cap),
                not isinstance(cap.value, ast.ByTable),
                cap.span.line,
                cap.derived,
                cap.after_offsets,
            )
            for cap in c.caps
        )
        offsets = tuple(
            ir.Offset(
                self.expr(o.value), o.value.id if isinstance(o.value, ast.Name) else "已发扶持资金", o.kind, o.span.line
            )
            for o in c.offsets
        )
        return ir.Clause(
            index=index,
            id=c.id,
            article=c.article,
            title=c.title.value if c.title else None,
            beneficiary=BENEFICIARIES.get(c.beneficiary.id) if c.beneficiary else None,
            support=SUPPORT_KINDS.get(g.support) if g.support else None,
            line=c.span.line,
            parties=tuple(x.value for x in c.parties),
            conditions=conditions,
            grant=ir.Grant(g.mode, value, low, g.span.line),
            caps=caps,
            offsets=offsets,
            reads=reads(self.p, (c.conditions, c.grant, c.caps, c.offsets)),
            subject=c.subject.id if c.subject is not None else None,
            exclusive=c.exclusive is not None,
            obligations=tuple(
                ir.Obligation(
                    int(ob.term.value),
                    ob.label or f"{int(ob.term.value)}年内须保持：{chinese.expr(ob.condition)}",
                    self.expr(ob.condition),
                    ob.span.line,
                )
                for ob in c.obligations
            ),
            schedule=(
                ir.Schedule(
                    once=c.once is not None and c.once.key is None,
                    once_key=c.once.key.id if c.once is not None and c.once.key is not None else None,
                    years=int(c.duration.value) if c.duration is not None else None,
                )
                if c.once is not None or c.duration is not None
                else None
            ),
        )

    # ------------------------------------------------------------ the program

    def counts_steps(self, let_name: str) -> bool:
        """Whether a definition counts whole steps (`every`), itself or through a definition it uses."""
        expr = self.p.lets[let_name][1].expr
        if any(isinstance(n, ast.BinOp) and n.op == "every" for n in ast.nodes(expr)):
            return True
        return any(n in self.p.lets and self.counts_steps(n) for n in names_in(expr))

    def inputs_of(self, let_name: str) -> set[str]:
        out: set[str] = set()
        for n in names_in(self.p.lets[let_name][1].expr):
            if n in self.p.inputs:
                out.add(n)
            elif n in self.p.lets:
                out |= self.inputs_of(n)
        return out

    def received(self, decl: ast.InputDecl) -> ir.Received | None:
        """Where the ledger fills the input from, in target-neutral terms."""
        r = decl.received
        if r is None:
            return None
        scopes = {RECEIVED_SCOPES[s] for s in r.scopes if s in RECEIVED_SCOPES}
        levels = None
        if r.local or r.higher:
            levels = other_levels(str(self.p.header.get("level") or ""), r.higher)
        when = period(scopes)
        return ir.Received(
            clauses=None if r.local or r.higher or not r.clauses else tuple(n.id for n in r.clauses),
            levels=levels,
            same_item=item_scope(scopes) is not None,
            period={"每年": "year", "每季度": "quarter", "每月": "month"}.get(when or ""),  # type: ignore[arg-type]
            of=r.of.id if r.of is not None else None,
            subject=r.subject.id if r.subject is not None else None,
        )

    def program(self) -> ir.Program:
        p = self.p
        h = p.header
        inputs = []
        for name, (ty, decl) in p.inputs.items():
            kind, currency, area = unit_of(ty)
            default = self.expr(decl.default) if decl.default is not None else None
            assert default is None or isinstance(default, ir.Const)
            labels = None
            if isinstance(ty, EnumT) and ty.name in p.enums:
                labels = tuple(m.label or m.name for m in p.enums[ty.name].members)
            inputs.append(
                ir.Input(
                    name,
                    kind,
                    currency,
                    area,
                    decl.label or name,
                    ty.members if isinstance(ty, EnumT) else None,
                    default,
                    labels,
                    self.received(decl),
                    decl.type.name in RANK_TYPES,
                )
            )
        limits = []
        for lim in p.limits:
            label = lim.label or ("".join(SCOPES.get(s, s) for s in lim.scopes) + "总额上限")
            limits.append(ir.Limit(self.expr(lim.value), tuple(n.id for n in lim.clauses) or None, label))
        # The first and last day in force: an end given by a term (有效期3年) is worked out here, so no
        # evaluator needs calendar arithmetic.
        start, end = validity.period(h)
        return ir.Program(
            policy=str(h.get("name", "")),
            title=str(h.get("title", h.get("name", ""))),
            source=self.path,
            effective=start,
            expires=end,
            inputs=tuple(inputs),
            let_inputs={n: tuple(sorted(self.inputs_of(n))) for n in p.lets},
            lets=tuple(ir.Let(name, self.expr(decl.expr), decl.span.line) for name, (_, decl) in p.lets.items()),
            clauses=tuple(self.clause(i, c) for i, c in enumerate(p.clauses, start=1)),
            limits=tuple(limits),
            draft=h.get("status") == "征求意见稿",
            events_from=since if isinstance(since := h.get("events_from"), datetime.date) else None,
            region=str(h["region"]) if h.get("region") else None,
            best_only=h.get("overlap") == OVERLAP["best"],
        )


def lower(policy: CheckedPolicy, source_path: str) -> ir.Program:
    """The lowered form of a checked policy without errors."""
    assert policy.ok, "lower() needs a policy without errors"
    return Lowering(policy, source_path).program()
