"""Checking that values fit together: conditions are yes/no, money is money, two sides share a unit."""

from __future__ import annotations

from pol.compiler.check.state import CheckerState
from pol.compiler.check.types import ERROR, BoolT, ErrorT, QuantityT, Ty
from pol.dsl import ast
from pol.dsl.diagnostics import T, Text
from pol.dsl.source import Span


class UnitChecks(CheckerState):
    """Checks the kinds and units of values where an expression combines or expects them."""

    def expect_bool(self, e: ast.Expr) -> None:
        ty = self.infer(e)
        if not isinstance(ty, (BoolT, ErrorT)):
            self.err(
                "POL204",
                T(
                    f"条件必须是是/否，但这是{ty.describe()}",
                    f"a condition must be yes or no, but this is {ty.describe()}",
                ),
                e.span,
                T("请写成比较，例如“实缴注册资本 2000万 以上”", "compare it, as in '实缴注册资本 2000万 以上'"),
            )

    def expect_money(self, e: ast.Expr, what: Text) -> None:
        ty = self.infer(e)
        if isinstance(ty, ErrorT):
            return
        if not isinstance(ty, QuantityT) or ty.unit.kind != "money":
            self.err(
                "POL204",
                what
                + T(f"必须是金额，但这是{ty.describe()}", f" must be an amount of money, but this is {ty.describe()}"),
                e.span,
            )
        elif ty.unit.currency != "CNY":
            self.err(
                "POL202",
                what + T(f"必须以元计，但这是{ty.describe()}", f" must be in 元, but this is {ty.describe()}"),
                e.span,
                T(
                    "美元金额可以与美元门槛比较，但不能支付，也不能与元相加",
                    "amounts in 美元 may be compared with 美元 thresholds but are never paid or added to 元",
                ),
            )

    def same_quantity(self, tys: list[Ty], spans: list[Span], what: Text, span: Span) -> Ty:
        if any(isinstance(t, ErrorT) for t in tys):
            return ERROR
        if not all(isinstance(t, QuantityT) for t in tys):
            self.err("POL204", what + T("必须是数", " must be numbers"), span)
            return ERROR
        first = tys[0]
        for t, s in zip(tys[1:], spans[1:], strict=True):
            if not self.compatible(first, t, s, T("合并", "combine")):
                return ERROR
        return first

    def compatible(self, a: Ty, b: Ty, span: Span, verb: Text) -> bool:
        """Whether values of types `a` and `b` may be compared or combined; reports why not."""
        if isinstance(a, ErrorT) or isinstance(b, ErrorT) or a == b:
            return True
        if isinstance(a, QuantityT) and isinstance(b, QuantityT):
            ua, ub = a.unit, b.unit
            if ua.kind == ub.kind and ua.kind in ("money", "money_per_area") and ua.currency != ub.currency:
                self.err(
                    "POL202",
                    T("不能把", "cannot ")
                    + verb
                    + T(f"{ua.describe()}与{ub.describe()}", f" {ua.describe()} with {ub.describe()}"),
                    span,
                    T(
                        "请用同一币种写金额，例如“500万美元”",
                        "write the amount in the same currency, as in '500万美元'",
                    ),
                )
                return False
            if {ua.kind, ub.kind} == {"number", "years"}:
                return True
            self.err(
                "POL201",
                T("不能把", "cannot ")
                + verb
                + T(f"{ua.describe()}与{ub.describe()}", f" {ua.describe()} with {ub.describe()}"),
                span,
            )
            return False
        self.err(
            "POL204",
            T("不能把", "cannot ")
            + verb
            + T(f"{a.describe()}与{b.describe()}", f" {a.describe()} with {b.describe()}"),
            span,
        )
        return False
