"""Checking tables and tiers: their keys, their rows, and tiers in order without overlap."""

from __future__ import annotations

from pol.compiler.check.folding import (
    key_text,
    show_compare,
    show_value,
    tier_bounds,
)
from pol.compiler.check.types import ERROR, BoolT, DateT, EnumT, ErrorT, QuantityT, Ty
from pol.compiler.check.units import UnitChecks
from pol.dsl import ast
from pol.dsl.diagnostics import T
from pol.dsl.source import Span


class TableChecks(UnitChecks):
    """Checks `by` tables and `tiers`, whose rows and thresholds must cover and order their values."""

    def key_type(self, key: ast.Name) -> Ty:
        ty = self.infer(key)
        if isinstance(ty, QuantityT) and ty.unit.kind not in ("number", "years"):
            self.err(
                "POL204",
                T(
                    f"表格按类别、是/否或个数分行，而不是按{ty.describe()}",
                    f"a table is keyed by a category, a yes/no or a count, not {ty.describe()}",
                ),
                key.span,
                T("金额的门槛请用 tiers { … }（分档）", "for thresholds on amounts, use tiers { … }"),
            )
            return ERROR
        if isinstance(ty, DateT):
            self.err("POL204", T("表格不能按日期分行", "a table cannot be keyed by a date"), key.span)
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
                self.compatible(kty, kt, k.span, T("对应", "match"))
                text = key_text(k)
                if text in seen:
                    self.err("POL102", T(f"“{text}”在表格中列了两次", f"'{text}' is listed twice in the table"), k.span)
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
                    T(
                        f"按“{e.key.id}”分行的表格缺少这些行：{'、'.join(missing)}",
                        f"the table by '{e.key.id}' has no row for {', '.join(missing)}",
                    ),
                    e.span,
                    T("补上缺少的行，或加一行 `else:`", "add the missing rows, or an `else:` row"),
                )
        return self.same_quantity(vtys, spans, T("表格的各个值", "the table's values"), e.span) if vtys else ERROR

    def infer_tiers(self, e: ast.Tiers) -> Ty:
        for t in e.entries:
            self.expect_bool(t.condition)
        vtys = [self.infer(t.value) for t in e.entries]
        self.check_tier_order(e)
        return self.same_quantity(vtys, [t.value.span for t in e.entries], T("各档的值", "the tiers' values"), e.span)

    def check_tier_order(self, e: ast.Tiers) -> None:
        bounds = [tier_bounds(t.condition) for t in e.entries]
        for i in range(1, len(e.entries)):
            for name, (lo, lo_cmp) in bounds[i]["low"].items():
                prev = bounds[i - 1]["low"].get(name)
                if prev is not None and lo <= prev[0]:
                    self.err(
                        "POL302",
                        T(
                            f"第 {i + 1} 档从 {show_compare(lo_cmp)} 开始，没有高于第 {i} 档的 {show_compare(prev[1])}",
                            f"tier {i + 1} starts at {show_compare(lo_cmp)}, not above tier {i}'s {show_compare(prev[1])}",
                        ),
                        lo_cmp.span,
                        T(
                            "分档从最低门槛列到最高；适用达到的最高一档",
                            "list tiers from the lowest threshold to the highest; the highest tier reached applies",
                        ),
                    )
            for name, (hi, hi_cmp) in bounds[i - 1]["high"].items():
                nxt = bounds[i]["low"].get(name)
                if nxt is None:
                    continue
                lo, lo_cmp = nxt
                if hi > lo or (hi == lo and hi_cmp.op == "<=" and lo_cmp.op == ">="):
                    self.err(
                        "POL303",
                        T(
                            f"第 {i} 档和第 {i + 1} 档重叠：{name} = {show_value(lo_cmp)} 同时属于两档",
                            f"tiers {i} and {i + 1} overlap: {name} = {show_value(lo_cmp)} is in both",
                        ),
                        lo_cmp.span,
                        T(
                            f"“{hi_cmp.word}”和“{lo_cmp.word}”都包含本数；请在一侧用不满/低于或超过",
                            f"'{hi_cmp.word}' and '{lo_cmp.word}' both include the number itself; "
                            "use 不满/低于 or 超过 on one side",
                        ),
                    )
