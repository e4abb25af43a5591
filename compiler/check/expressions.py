"""Checking expressions: names, units and types of arithmetic, comparisons, tables and tiers."""

from __future__ import annotations

from typing import assert_never

from pol.compiler.check.folding import (
    constant,
    did_you_mean,
    key_text,
    percent_text,
    show_compare,
    show_value,
    tier_bounds,
)
from pol.compiler.check.state import CheckerState, Ref
from pol.compiler.check.types import BOOL, DATE, ERROR, BoolT, DateT, EnumT, ErrorT, QuantityT, Ty
from pol.dsl import ast
from pol.dsl.source import Span
from pol.dsl.units import NUMBER, RATIO, Unit
from pol.dsl.words import COMPARE_WORDS, KEYWORD_SPELLINGS


class ExpressionChecks(CheckerState):
    """Infers the type of every expression and reports what cannot be computed."""

    def expect_bool(self, e: ast.Expr) -> None:
        ty = self.infer(e)
        if not isinstance(ty, (BoolT, ErrorT)):
            self.err(
                "POL204",
                f"a condition must be yes or no, but this is {ty.describe()}",
                e.span,
                "compare it, as in '实缴注册资本 2000万 以上'",
            )

    def expect_money(self, e: ast.Expr, what: str) -> None:
        ty = self.infer(e)
        if isinstance(ty, ErrorT):
            return
        if not isinstance(ty, QuantityT) or ty.unit.kind != "money":
            self.err("POL204", f"{what} must be an amount of money, but this is {ty.describe()}", e.span)
        elif ty.unit.currency != "CNY":
            self.err(
                "POL202",
                f"{what} must be in 元, but this is {ty.describe()}",
                e.span,
                "amounts in 美元 may be compared with 美元 thresholds but are never paid or added to 元",
            )

    def infer(self, e: ast.Expr, hint: Ty | None = None) -> Ty:
        ty = self._infer(e, hint)
        self.types[id(e)] = ty  # the module's AST keeps every node alive, so ids stay unique
        return ty

    def _infer(self, e: ast.Expr, hint: Ty | None) -> Ty:
        match e:
            case ast.Quantity(unit=unit):
                return QuantityT(unit)
            case ast.DateLit():
                return DATE
            case ast.BoolLit():
                return BOOL
            case ast.Name():
                return self.infer_name(e, hint)
            case ast.BinOp():
                return self.infer_binop(e)
            case ast.Call(args=args):
                tys = [self.infer(a) for a in args]
                return self.same_quantity(tys, [a.span for a in args], f"the values of {e.func}()", e.span)
            case ast.Compare():
                return self.infer_compare(e)
            case ast.InSet(subject=subject, options=options):
                sty = self.infer(subject)
                for o in options:
                    oty = self.infer(o, sty)
                    self.compatible(sty, oty, o.span, "compare")
                return BOOL
            case ast.And(items=items) | ast.Or(items=items):
                for item in items:
                    self.expect_bool(item)
                return BOOL
            case ast.Not(item=item):
                self.expect_bool(item)
                return BOOL
            case ast.ByTable():
                return self.infer_table(e)
            case ast.Tiers():
                return self.infer_tiers(e)
            case _:
                assert_never(e)

    def infer_name(self, e: ast.Name, hint: Ty | None) -> Ty:
        if e.id in self.inputs:
            ty = self.inputs[e.id][0]
            self.refs[id(e)] = Ref("input", e.id, ty)
            return ty
        if e.id in self.let_decls:
            ty = self.lets[e.id][0] if e.id in self.lets else ERROR
            self.refs[id(e)] = Ref("let", e.id, ty)
            return ty
        if isinstance(hint, EnumT) and e.id in hint.members:
            self.refs[id(e)] = Ref("member", e.id, hint)
            return hint
        owners = self.members.get(e.id, [])
        if len(owners) == 1:
            self.refs[id(e)] = Ref("member", e.id, owners[0])
            return owners[0]
        if e.id in self.broken:
            return ERROR
        if e.id in self.enums:
            self.err(
                "POL101",
                f"'{e.id}' is an enum, a kind of value, not a value",
                e.span,
                f"declare an input that holds it: input {e.id}: {e.id}",
            )
            return ERROR
        known = list(self.inputs) + list(self.let_decls) + list(self.members)
        notes = list(did_you_mean(e.id, known))
        if isinstance(hint, EnumT) and not notes:
            notes.append(f"'{hint.name}' is one of: {', '.join(hint.members)}")
        glued = sorted(
            (
                w
                for w in set(COMPARE_WORDS) | set(KEYWORD_SPELLINGS.values())
                if not w.isascii() and w in e.id and w != e.id
            ),
            key=len,
        )
        if glued:
            notes.append(
                f"'{e.id}' contains the keyword '{glued[-1]}': Chinese keywords must be separated from "
                "names and numbers by spaces, as in '年亩产税收 50万 以上'"
            )
        if len(owners) > 1:
            self.err(
                "POL101",
                f"'{e.id}' is a member of several enums ({', '.join(o.name for o in owners)}); "
                "compare it with an input to say which",
                e.span,
            )
        else:
            self.err("POL101", f"unknown name '{e.id}'", e.span, *notes)
        return ERROR

    def infer_binop(self, e: ast.BinOp) -> Ty:
        lt, rt = self.infer(e.left), self.infer(e.right)
        if isinstance(lt, ErrorT) or isinstance(rt, ErrorT):
            return ERROR
        if not isinstance(lt, QuantityT) or not isinstance(rt, QuantityT):
            bad = e.left if not isinstance(lt, QuantityT) else e.right
            self.err("POL204", f"arithmetic needs numbers, but this is {self.types[id(bad)].describe()}", bad.span)
            return ERROR
        lu, ru = lt.unit, rt.unit
        if e.op in ("+", "-"):
            return self.same_quantity([lt, rt], [e.left.span, e.right.span], "the two sides", e.span)
        if e.op == "every":
            if isinstance(self.same_quantity([lt, rt], [e.left.span, e.right.span], "the two sides", e.span), ErrorT):
                return ERROR
            step = constant(e.right)
            if step is not None and step <= 0:
                self.err("POL204", f"the step of 每满 must be above zero, not {step}", e.right.span)
                return ERROR
            return QuantityT(NUMBER)
        if e.op == "*":
            for side, u in ((e.left, lu), (e.right, ru)):
                other = ru if side is e.left else lu
                v = constant(side)
                if u.kind == "ratio" and other.kind in ("money", "money_per_area") and v is not None and v > 1:
                    self.err(
                        "POL203",
                        f"a rate of {percent_text(v)} is above 100%",
                        side.span,
                        "a grant cannot exceed the base it is a share of; check the original text",
                    )
                # `费用 × 40` where the text says 40%: the explanation would read "× 40 = 4亿元".
                if (
                    u.kind == "number"
                    and isinstance(side, ast.Quantity)
                    and v is not None
                    and v > 1
                    and other.kind in ("money", "money_per_area")
                ):
                    self.warn(
                        "POL206",
                        f"money multiplied by the bare number {side.text}: {v} times the amount",
                        side.span,
                        f"a rate is written with %, as in '× {side.text}%'; a multiple meant as such is clearer as "
                        "a named definition (let)",
                    )
            if lu.kind in ("ratio", "number"):
                return QuantityT(ru)
            if ru.kind in ("ratio", "number"):
                return QuantityT(lu)
            pair = {lu.kind, ru.kind}
            if pair == {"money_per_area", "area"}:
                rate, area = (lu, ru) if lu.kind == "money_per_area" else (ru, lu)
                if rate.area != area.area:
                    self.err(
                        "POL201",
                        f"cannot multiply {rate.describe()} by {area.describe()}: the area units differ",
                        e.span,
                        "use the same area unit on both sides (平方米 or 亩)",
                    )
                    return ERROR
                return QuantityT(Unit("money", rate.currency))
            if lu.kind == "money" and ru.kind == "money":
                self.err(
                    "POL205",
                    "money multiplied by money has no meaning",
                    e.span,
                    "a rate is written as a percentage, as in '临床研发费用 × 40%'",
                )
                return ERROR
            self.err("POL201", f"cannot multiply {lu.describe()} by {ru.describe()}", e.span)
            return ERROR
        # division
        if ru.kind in ("number", "ratio"):
            return QuantityT(lu)
        if lu == ru:
            return QuantityT(RATIO)
        if lu.kind == "money" and ru.kind == "area":
            return QuantityT(Unit("money_per_area", lu.currency, ru.area))
        if lu.kind == "money" and ru.kind == "money":
            self.err("POL202", f"cannot divide {lu.describe()} by {ru.describe()}", e.span)
            return ERROR
        self.err("POL201", f"cannot divide {lu.describe()} by {ru.describe()}", e.span)
        return ERROR

    def same_quantity(self, tys: list[Ty], spans: list[Span], what: str, span: Span) -> Ty:
        if any(isinstance(t, ErrorT) for t in tys):
            return ERROR
        if not all(isinstance(t, QuantityT) for t in tys):
            self.err("POL204", f"{what} must be numbers", span)
            return ERROR
        first = tys[0]
        for t, s in zip(tys[1:], spans[1:], strict=True):
            if not self.compatible(first, t, s, "combine"):
                return ERROR
        return first

    def compatible(self, a: Ty, b: Ty, span: Span, verb: str) -> bool:
        """Whether values of types `a` and `b` may be compared or combined; reports why not."""
        if isinstance(a, ErrorT) or isinstance(b, ErrorT) or a == b:
            return True
        if isinstance(a, QuantityT) and isinstance(b, QuantityT):
            ua, ub = a.unit, b.unit
            if ua.kind == ub.kind and ua.kind in ("money", "money_per_area") and ua.currency != ub.currency:
                self.err(
                    "POL202",
                    f"cannot {verb} {ua.describe()} with {ub.describe()}",
                    span,
                    "write the amount in the same currency, as in '500万美元'",
                )
                return False
            if {ua.kind, ub.kind} == {"number", "years"}:
                return True
            self.err("POL201", f"cannot {verb} {ua.describe()} with {ub.describe()}", span)
            return False
        self.err("POL204", f"cannot {verb} {a.describe()} with {b.describe()}", span)
        return False

    def infer_compare(self, e: ast.Compare) -> Ty:
        lt = self.infer(e.left)
        rt = self.infer(e.right, lt)
        if isinstance(lt, EnumT) and not isinstance(rt, ErrorT):
            if e.op not in ("==", "!="):
                self.err("POL204", f"'{lt.name}' is a category and has no order; use = or in (…)", e.span)
        elif isinstance(lt, BoolT) and e.op not in ("==", "!="):
            self.err("POL204", "yes/no values have no order", e.span)
        self.compatible(lt, rt, e.right.span, "compare")
        return BOOL

    def key_type(self, key: ast.Name) -> Ty:
        ty = self.infer(key)
        if isinstance(ty, QuantityT) and ty.unit.kind not in ("number", "years"):
            self.err(
                "POL204",
                f"a table is keyed by a category, a yes/no or a count, not {ty.describe()}",
                key.span,
                "for thresholds on amounts, use tiers { … }",
            )
            return ERROR
        if isinstance(ty, DateT):
            self.err("POL204", "a table cannot be keyed by a date", key.span)
            return ERROR
        return ty

    def infer_table(self, e: ast.ByTable) -> Ty:
        kty = self.key_type(e.key)
        seen: dict[str, Span] = {}
        for entry in e.entries:
            for k in entry.keys:
                if isinstance(kty, ErrorT):
                    continue
                kt = self.infer(k, kty)
                self.compatible(kty, kt, k.span, "match")
                text = key_text(k)
                if text in seen:
                    self.err("POL102", f"'{text}' is listed twice in the table", k.span)
                seen[text] = k.span
        vtys = [self.infer(x.value) for x in e.entries]
        spans = [x.value.span for x in e.entries]
        if e.default is not None:
            vtys.append(self.infer(e.default))
            spans.append(e.default.span)
        if e.default is None and isinstance(kty, (EnumT, BoolT)):
            members = kty.members if isinstance(kty, EnumT) else ("true", "false")
            missing = [m for m in members if m not in seen]
            if missing:
                self.err(
                    "POL301",
                    f"the table by '{e.key.id}' has no row for {', '.join(missing)}",
                    e.span,
                    "add the missing rows, or an `else:` row",
                )
        return self.same_quantity(vtys, spans, "the table's values", e.span) if vtys else ERROR

    def infer_tiers(self, e: ast.Tiers) -> Ty:
        for t in e.entries:
            self.expect_bool(t.condition)
        vtys = [self.infer(t.value) for t in e.entries]
        self.check_tier_order(e)
        return self.same_quantity(vtys, [t.value.span for t in e.entries], "the tiers' values", e.span)

    def check_tier_order(self, e: ast.Tiers) -> None:
        bounds = [tier_bounds(t.condition) for t in e.entries]
        for i in range(1, len(e.entries)):
            for name, (lo, lo_cmp) in bounds[i]["low"].items():
                prev = bounds[i - 1]["low"].get(name)
                if prev is not None and lo <= prev[0]:
                    self.err(
                        "POL302",
                        f"tier {i + 1} starts at {show_compare(lo_cmp)}, not above tier {i}'s {show_compare(prev[1])}",
                        lo_cmp.span,
                        "list tiers from the lowest threshold to the highest; the highest tier reached applies",
                    )
            for name, (hi, hi_cmp) in bounds[i - 1]["high"].items():
                nxt = bounds[i]["low"].get(name)
                if nxt is None:
                    continue
                lo, lo_cmp = nxt
                if hi > lo or (hi == lo and hi_cmp.op == "<=" and lo_cmp.op == ">="):
                    self.err(
                        "POL303",
                        f"tiers {i} and {i + 1} overlap: {name} = {show_value(lo_cmp)} is in both",
                        lo_cmp.span,
                        f"'{hi_cmp.word}' and '{lo_cmp.word}' both include the number itself; "
                        "use 不满/低于 or 超过 on one side",
                    )
