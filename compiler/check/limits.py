"""Checking what reaches across grants: amounts received before, earlier years' facts, and document limits."""

from __future__ import annotations

from pol.compiler.check.expressions import ExpressionChecks
from pol.compiler.check.folding import (
    did_you_mean,
)
from pol.compiler.check.scopes import RECEIVED_SCOPES, SCOPES
from pol.compiler.check.types import BOOL, ErrorT, QuantityT, Ty
from pol.compiler.check.vocabulary import (
    LEVEL_RANK,
)
from pol.dsl import ast
from pol.dsl.ast import names_in  # re-exported: the checker's callers import it from here
from pol.dsl.diagnostics import T


class LimitChecks(ExpressionChecks):
    """Checks inputs filled from the ledger (received, earlier) and the document's limits."""

    def check_received(self, decl: ast.InputDecl, ty: Ty, clause_ids: set[str]) -> None:
        r = decl.received
        assert r is not None
        if r.of is not None:
            # The sum of a fact over earlier grants: a quantity of the fact's own unit.
            of = self.inputs.get(r.of.id)
            if of is None:
                self.err(
                    "POL101",
                    T(f"“{r.of.id}”不是输入", f"'{r.of.id}' is not an input"),
                    r.of.span,
                    *did_you_mean(r.of.id, self.inputs),
                )
            elif not isinstance(of[0], QuantityT) or of[0] != ty:
                self.err(
                    "POL201",
                    T(
                        f"“{decl.name}”汇总往年资助中的“{r.of.id}”，所以必须是同一种值（{of[0].describe()}），而不是{ty.describe()}",
                        f"'{decl.name}' sums '{r.of.id}' over earlier grants, so it must be of the same kind "
                        f"({of[0].describe()}), not {ty.describe()}",
                    ),
                    r.span,
                )
            if r.local or r.higher:
                self.err(
                    "POL107",
                    T(
                        "不支持 `received local/higher … of`：其他政府的资助没有事实可读",
                        "`received local/higher … of` is not supported: other governments' grants hold no facts",
                    ),
                    r.span,
                )
        elif not (isinstance(ty, QuantityT) and ty.unit.kind == "money"):
            self.err(
                "POL201",
                T(
                    f"“{decl.name}”由已获得的资助填写，所以必须是金额",
                    f"'{decl.name}' is filled from grants received, so it must be money",
                ),
                r.span,
            )
        for name in r.clauses:
            if name.id not in clause_ids and name.id not in self.broken:  # a broken clause is reported once
                self.err(
                    "POL101",
                    T(f"本政策中没有条款“{name.id}”", f"no clause '{name.id}' in this policy"),
                    name.span,
                    *did_you_mean(name.id, clause_ids),
                )
        for s in r.scopes:
            if s not in RECEIVED_SCOPES:
                self.err(
                    "POL107",
                    T(f"“{s}”不是已获金额的范围", f"'{s}' is not a scope of amounts received"),
                    r.span,
                    *did_you_mean(s, RECEIVED_SCOPES),
                    T(
                        "范围：per product（每个产品）、per project（每个项目）、per policy（本政策）、per year（每年）、per quarter（每季度）、per month（每月）、per enterprise（每家企业）、total（累计）",
                        "scopes: per product, per project, per policy, per year, per quarter, per month, per enterprise, total",
                    ),
                )
        if r.local and LEVEL_RANK.get(str(self.header.get("level")), 99) >= LEVEL_RANK["区级"]:
            self.err(
                "POL106",
                T(
                    "`received local` 汇总下级政府的资助，所以政策的层级要高于区级",
                    "`received local` sums grants of lower levels of government, so the policy needs "
                    "a level above district",
                ),
                r.span,
                T("例如在政策头部写 `level: province`", "e.g. `level: province` in the policy header"),
            )
        if r.subject is not None and not (r.local or r.higher):
            self.err(
                "POL107",
                T(
                    "`received … subject` 只用于其他政府的资助（local 或 higher）；本政策的条款请直接列出条款名",
                    "`received … subject` is for other governments' grants (local or higher); name this policy's clauses instead",
                ),
                r.subject.span,
            )
        elif r.subject is not None and self.subjects is not None and r.subject.id not in self.subjects:
            self.err(
                "POL107",
                T(f"“{r.subject.id}”不是分类表中的事项", f"'{r.subject.id}' is not a subject of the taxonomy"),
                r.subject.span,
                *did_you_mean(r.subject.id, self.subjects),
            )
        if r.higher and LEVEL_RANK.get(str(self.header.get("level")), 0) == 0:
            self.err(
                "POL106",
                T(
                    "`received higher` 汇总上级政府的资助，所以政策要写明低于国家级的层级",
                    "`received higher` sums grants of higher levels of government, so the policy needs "
                    "a level below the state's",
                ),
                r.span,
                T("例如在政策头部写 `level: city`", "e.g. `level: city` in the policy header"),
            )

    def check_earlier(self, decl: ast.InputDecl, ty: Ty) -> None:
        e = decl.earlier
        assert e is not None
        if ty != BOOL:
            self.err(
                "POL201",
                T(
                    f"“{decl.name}”由往年的事项填写，所以必须是是/否",
                    f"'{decl.name}' is filled from earlier years' events, so it must be yes/no",
                ),
                e.span,
            )
        if isinstance(self.infer(e.condition), ErrorT):
            return
        # The ledger compares one fact of each earlier event with a figure, as 首次突破/首次达到 do.
        c = e.condition
        if not (
            isinstance(c, ast.Compare)
            and isinstance(c.left, ast.Name)
            and c.left.id in self.inputs
            and c.left.id != decl.name
            and isinstance(c.right, ast.Quantity)
        ):
            self.err(
                "POL107",
                T(
                    "`earlier` 把一个输入与一个数额比较，例如 `earlier 年销售收入 突破 10亿`",
                    "`earlier` compares an input with a figure, as in `earlier 年销售收入 突破 10亿`",
                ),
                c.span,
            )

    def check_limit(self, lim: ast.Limit, clause_ids: set[str]) -> None:
        self.expect_money(lim.value, T("限额", "a limit"))
        for name in names_in(lim.value):
            decl = self.inputs.get(name)
            if decl is not None and decl[1].default is None:
                # A limit applies to the totals, after every clause: it cannot wait for a missing fact.
                self.err(
                    "POL107",
                    T(f"限额用到了“{name}”，但它没有默认值", f"the limit uses '{name}', which has no default"),
                    lim.span,
                    T(
                        f"请给它一个默认值，例如已获金额写 `input {name}: money default 0`",
                        f"give it one, e.g. `input {name}: money default 0` for amounts already received",
                    ),
                )
        for s in lim.scopes:
            if s not in SCOPES:
                self.err(
                    "POL107",
                    T(f"“{s}”不是限额的范围", f"'{s}' is not a scope of a limit"),
                    lim.span,
                    *did_you_mean(s, SCOPES),
                )
        for ref in lim.clauses:
            if ref.id not in clause_ids and ref.id not in self.broken:
                self.err(
                    "POL101",
                    T(f"没有名为“{ref.id}”的条款", f"no clause is called '{ref.id}'"),
                    ref.span,
                    *did_you_mean(ref.id, clause_ids),
                )

    def check_limits_nest(self, limits: list[ast.Limit]) -> None:
        """Limits are nested or apart: for two that share some clauses but not all, no order of cuts is right."""
        sets = [(lim, frozenset(n.id for n in lim.clauses)) for lim in limits if lim.clauses]
        for i, (lim, mine) in enumerate(sets):
            for other, theirs in sets[:i]:
                if mine & theirs and not (mine <= theirs or theirs <= mine):
                    self.err(
                        "POL307",
                        T(
                            f"这个限额与第 {other.span.line} 行的限额共用部分条款而非全部（{'、'.join(sorted(mine & theirs))}）",
                            "this limit shares some clauses with the limit at line "
                            f"{other.span.line} but not all ({'、'.join(sorted(mine & theirs))})",
                        ),
                        lim.span,
                        T(
                            "限额必须相互嵌套（一个只管另一个的部分条款）或互不相交，这样每次削减只计一次；把共用条款的限额写成单独的 `limit`",
                            "limits must be nested (one on a part of the other's clauses) or apart, so that "
                            "a cut is counted once; write the shared clauses' limit as its own `limit`",
                        ),
                    )
