"""Checking expressions: names, units and types of arithmetic, comparisons, tables and tiers."""

from __future__ import annotations

from typing import assert_never

from pol.compiler.check.folding import (
    constant,
    did_you_mean,
    percent_text,
)
from pol.compiler.check.state import Ref
from pol.compiler.check.tables import TableChecks
from pol.compiler.check.types import BOOL, DATE, ERROR, BoolT, EnumT, ErrorT, QuantityT, Ty
from pol.dsl import ast
from pol.dsl.diagnostics import T
from pol.dsl.units import NUMBER, RATIO, Unit
from pol.dsl.words import COMPARE_WORDS, KEYWORD_SPELLINGS


class ExpressionChecks(TableChecks):
    """Infers the type of every expression and reports what cannot be computed."""

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
                return self.same_quantity(
                    tys, [a.span for a in args], T(f"{e.func}() 的各个值", f"the values of {e.func}()"), e.span
                )
            case ast.Compare():
                return self.infer_compare(e)
            case ast.InSet(subject=subject, options=options):
                sty = self.infer(subject)
                for o in options:
                    oty = self.infer(o, sty)
                    self.compatible(sty, oty, o.span, T("比较", "compare"))
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
                T(
                    f"“{e.id}”是枚举，即一种值的类别，而不是一个值",
                    f"'{e.id}' is an enum, a kind of value, not a value",
                ),
                e.span,
                T(
                    f"请声明一个保存它的输入：input {e.id}: {e.id}",
                    f"declare an input that holds it: input {e.id}: {e.id}",
                ),
            )
            return ERROR
        known = list(self.inputs) + list(self.let_decls) + list(self.members)
        notes = list(did_you_mean(e.id, known))
        if isinstance(hint, EnumT) and not notes:
            notes.append(
                T(
                    f"“{hint.name}”取值为：{'、'.join(hint.members)}",
                    f"'{hint.name}' is one of: {', '.join(hint.members)}",
                )
            )
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
                T(
                    f"“{e.id}”中含有关键词“{glued[-1]}”：中文关键词与名称、数字之间要用空格隔开，"
                    "例如“年亩产税收 50万 以上”",
                    f"'{e.id}' contains the keyword '{glued[-1]}': Chinese keywords must be separated from "
                    "names and numbers by spaces, as in '年亩产税收 50万 以上'",
                )
            )
        if len(owners) > 1:
            self.err(
                "POL101",
                T(
                    f"“{e.id}”是多个枚举的成员（{'、'.join(o.name for o in owners)}）；请与一个输入比较，以说明是哪一个",
                    f"'{e.id}' is a member of several enums ({', '.join(o.name for o in owners)}); "
                    "compare it with an input to say which",
                ),
                e.span,
            )
        else:
            self.err("POL101", T(f"未知的名称“{e.id}”", f"unknown name '{e.id}'"), e.span, *notes)
        return ERROR

    def infer_binop(self, e: ast.BinOp) -> Ty:
        lt, rt = self.infer(e.left), self.infer(e.right)
        if isinstance(lt, ErrorT) or isinstance(rt, ErrorT):
            return ERROR
        if not isinstance(lt, QuantityT) or not isinstance(rt, QuantityT):
            bad = e.left if not isinstance(lt, QuantityT) else e.right
            self.err(
                "POL204",
                T(
                    f"算术运算需要数，但这是{self.types[id(bad)].describe()}",
                    f"arithmetic needs numbers, but this is {self.types[id(bad)].describe()}",
                ),
                bad.span,
            )
            return ERROR
        lu, ru = lt.unit, rt.unit
        if e.op in ("+", "-"):
            return self.same_quantity([lt, rt], [e.left.span, e.right.span], T("两边", "the two sides"), e.span)
        if e.op == "every":
            if isinstance(
                self.same_quantity([lt, rt], [e.left.span, e.right.span], T("两边", "the two sides"), e.span), ErrorT
            ):
                return ERROR
            step = constant(e.right)
            if step is not None and step <= 0:
                self.err(
                    "POL204",
                    T(f"每满的步长必须大于零，而不是 {step}", f"the step of 每满 must be above zero, not {step}"),
                    e.right.span,
                )
                return ERROR
            return QuantityT(NUMBER)
        if e.op == "*":
            for side, u in ((e.left, lu), (e.right, ru)):
                other = ru if side is e.left else lu
                v = constant(side)
                if u.kind == "ratio" and other.kind in ("money", "money_per_area") and v is not None and v > 1:
                    self.err(
                        "POL203",
                        T(f"比例 {percent_text(v)} 超过 100%", f"a rate of {percent_text(v)} is above 100%"),
                        side.span,
                        T(
                            "资助不能超过它所占比例的基数；请核对原文",
                            "a grant cannot exceed the base it is a share of; check the original text",
                        ),
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
                        T(
                            f"金额乘以不带单位的数 {side.text}：即金额的 {v} 倍",
                            f"money multiplied by the bare number {side.text}: {v} times the amount",
                        ),
                        side.span,
                        T(
                            f"比例要带 %，例如“× {side.text}%”；确实是倍数时，写成有名称的定义（let）更清楚",
                            f"a rate is written with %, as in '× {side.text}%'; a multiple meant as such is clearer as "
                            "a named definition (let)",
                        ),
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
                        T(
                            f"不能把{rate.describe()}乘以{area.describe()}：面积单位不同",
                            f"cannot multiply {rate.describe()} by {area.describe()}: the area units differ",
                        ),
                        e.span,
                        T("两边用同一个面积单位（平方米或亩）", "use the same area unit on both sides (平方米 or 亩)"),
                    )
                    return ERROR
                return QuantityT(Unit("money", rate.currency))
            if lu.kind == "money" and ru.kind == "money":
                self.err(
                    "POL205",
                    T("金额乘以金额没有意义", "money multiplied by money has no meaning"),
                    e.span,
                    T(
                        "比例写成百分数，例如“临床研发费用 × 40%”",
                        "a rate is written as a percentage, as in '临床研发费用 × 40%'",
                    ),
                )
                return ERROR
            self.err(
                "POL201",
                T(f"不能把{lu.describe()}乘以{ru.describe()}", f"cannot multiply {lu.describe()} by {ru.describe()}"),
                e.span,
            )
            return ERROR
        # division
        if ru.kind in ("number", "ratio"):
            return QuantityT(lu)
        if lu == ru:
            return QuantityT(RATIO)
        if lu.kind == "money" and ru.kind == "area":
            return QuantityT(Unit("money_per_area", lu.currency, ru.area))
        if lu.kind == "money" and ru.kind == "money":
            self.err(
                "POL202",
                T(f"不能用{ru.describe()}去除{lu.describe()}", f"cannot divide {lu.describe()} by {ru.describe()}"),
                e.span,
            )
            return ERROR
        self.err(
            "POL201",
            T(f"不能用{ru.describe()}去除{lu.describe()}", f"cannot divide {lu.describe()} by {ru.describe()}"),
            e.span,
        )
        return ERROR

    def infer_compare(self, e: ast.Compare) -> Ty:
        lt = self.infer(e.left)
        rt = self.infer(e.right, lt)
        if isinstance(lt, EnumT) and not isinstance(rt, ErrorT):
            if e.op not in ("==", "!="):
                self.err(
                    "POL204",
                    T(
                        f"“{lt.name}”是类别，没有大小之分；请用 = 或 in (…)",
                        f"'{lt.name}' is a category and has no order; use = or in (…)",
                    ),
                    e.span,
                )
        elif isinstance(lt, BoolT) and e.op not in ("==", "!="):
            self.err("POL204", T("是/否没有大小之分", "yes/no values have no order"), e.span)
        self.compatible(lt, rt, e.right.span, T("比较", "compare"))
        return BOOL
