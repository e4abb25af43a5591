"""Checking clauses, measures, limits and examples: grants, caps, stages, received amounts, worked examples."""

from __future__ import annotations

from pol.compiler.check.folding import (
    constant,
    did_you_mean,
    key_text,
    literal_fits,
    lower_bound,
    money_text,
    upper_bound,
)
from pol.compiler.check.limits import LimitChecks
from pol.compiler.check.scopes import SCOPES
from pol.compiler.check.types import ErrorT
from pol.compiler.check.vocabulary import (
    BENEFICIARIES,
    STAGES,
    SUPPORT_KINDS,
)
from pol.dsl import ast
from pol.dsl.diagnostics import T
from pol.dsl.units import CNY


class ClauseChecks(LimitChecks):
    """Checks each provision and limit, on top of the expression checks."""

    def check_stages(self, p: ast.Clause | ast.Measure) -> None:
        for s in p.stages:
            if s.id not in STAGES:
                self.err(
                    "POL107",
                    T(f"“{s.id}”不是产品生命周期的阶段", f"'{s.id}' is not a stage of a product's life"),
                    s.span,
                    *did_you_mean(s.id, STAGES),
                    T(
                        "阶段：research（研发）、clinical（临床）、industrialisation（产业化）、market（市场）、international（国际化）",
                        "stages: research, clinical, industrialisation, market, international",
                    ),
                )

    def check_clause(self, c: ast.Clause) -> None:
        if c.subject is not None and self.subjects is not None and c.subject.id not in self.subjects:
            self.err(
                "POL107",
                T(f"“{c.subject.id}”不是分类表中的事项", f"'{c.subject.id}' is not a subject of the taxonomy"),
                c.subject.span,
                *did_you_mean(c.subject.id, self.subjects),
                T("事项列在政策旁边的 subjects.toml 中", "subjects are listed in subjects.toml beside the policies"),
            )
        if c.beneficiary and c.beneficiary.id not in BENEFICIARIES:
            self.err(
                "POL107",
                T(f"“{c.beneficiary.id}”不是一种支持对象", f"'{c.beneficiary.id}' is not a kind of beneficiary"),
                c.beneficiary.span,
                *did_you_mean(c.beneficiary.id, BENEFICIARIES),
                T(
                    "支持对象：enterprise（企业）、park（园区）、institution（机构）、platform（平台）、person（个人）",
                    "beneficiaries: enterprise, park, institution, platform, person",
                ),
            )
        for cond in c.conditions:
            self.expect_bool(cond)
        if c.grant is None:
            self.err(
                "POL106",
                T(f"条款“{c.id}”没有 grant（给予）", f"clause '{c.id}' has no grant"),
                c.id_span,
                T(
                    "请写 `grant …`；原文不给资金或其他支持时，改写为 `measure`",
                    "write `grant …`, or make it a `measure` if the text gives no money or support",
                ),
            )
        else:
            self.check_grant(c, c.grant)
        for cap in c.caps:
            self.expect_money(cap.value, T("上限", "a cap"))
            for s in cap.scopes:
                if s not in SCOPES:
                    self.err(
                        "POL107",
                        T(f"“{s}”不是上限的范围", f"'{s}' is not a scope of a cap"),
                        cap.span,
                        *did_you_mean(s, SCOPES),
                        T(
                            "范围：per year（每年）、per quarter（每季度）、per month（每月）、per product（每个产品）、per enterprise（每家企业）、per project（每个项目）、per policy（本政策）、total（累计）",
                            "scopes: per year, per quarter, per month, per product, per enterprise, per project, per policy, total",
                        ),
                    )
            low = constant(cap.value)
            if low is not None and low < 0:
                self.err(
                    "POL305",
                    T(f"上限是负数（{money_text(low)}）", f"the cap is negative ({money_text(low)})"),
                    cap.value.span,
                )
        self.check_cap_binds(c)
        for cap in c.caps:
            if (
                cap.after_offsets
                and not cap.derived
                and (not c.offsets or (c.grant and c.grant.mode == "case_by_case"))
            ):
                self.err(
                    "POL308",
                    T(
                        "这个上限写了“扣除后”（after offsets），但条款没有扣除项",
                        "this cap is `after offsets`, but the clause deducts nothing",
                    )
                    if not c.offsets
                    else T(
                        "一事一议的条款不扣除已获金额，“扣除后”无从谈起",
                        "a case-by-case clause deducts nothing, so `after offsets` has nothing to follow",
                    ),
                    cap.span,
                    T(
                        "原文“剔除已获支持后兑现，最高不超过…”：写 `offset 已获金额` 和 `cap … after offsets`；否则删去“扣除后”",
                        "for 'deduct what was received, then at most …' write `offset …` and `cap … after offsets`; otherwise drop `after offsets`",
                    ),
                )
        for off in c.offsets:
            self.expect_money(off.value, T("已付金额", "an amount already paid"))
        for ob in c.obligations:
            self.expect_bool(ob.condition)
            if ob.term.unit.kind != "years" or ob.term.value <= 0 or ob.term.value != ob.term.value.to_integral():
                self.err(
                    "POL204",
                    T(
                        f"承诺的期限是整年数，例如 5年，而不是“{ob.term.text}”",
                        f"an obligation's term is a whole number of years such as 5年, not '{ob.term.text}'",
                    ),
                    ob.term.span,
                )
        if c.duration is not None and c.duration.unit.kind != "years":
            self.err(
                "POL204",
                T(
                    f"期限是年数，例如 5年，而不是“{c.duration.text}”",
                    f"a duration is a number of years such as 5年, not '{c.duration.text}'",
                ),
                c.duration.span,
            )
        if c.once is not None and c.once.key is not None and c.once.key.id not in self.inputs:
            self.err(
                "POL101",
                T(
                    f"“{c.once.key.id}”不是输入：`once by` 指明每个取值只支付一次的事实",
                    f"'{c.once.key.id}' is not an input: `once by` names the fact whose each value is paid once",
                ),
                c.once.key.span,
                *did_you_mean(c.once.key.id, self.inputs),
            )
        for ex in c.examples:
            self.check_example(ex)

    def check_grant(self, c: ast.Clause, g: ast.Grant) -> None:
        if g.support is not None and g.support not in SUPPORT_KINDS:
            self.err(
                "POL107",
                T(f"“{g.support}”不是一种支持方式", f"'{g.support}' is not a kind of support"),
                g.span,
                *did_you_mean(g.support, SUPPORT_KINDS),
                T(
                    "支持方式：cash（资金）、equity（股权）、tax_refund（税收返还）、service（服务）",
                    "kinds: cash, equity, tax_refund, service",
                ),
            )
        if g.mode == "case_by_case":
            return
        if g.mode == "range":
            assert g.low is not None and g.high is not None
            self.expect_money(g.low, T("区间的下限", "the low end of a range"))
            self.expect_money(g.high, T("区间的上限", "the high end of a range"))
            lo, hi = constant(g.low), constant(g.high)
            if lo is not None and hi is not None and lo > hi:
                self.err("POL306", T("区间的下限高于上限", "the range's low end is above its high end"), g.span)
            return
        assert g.value is not None
        self.expect_money(g.value, T("给予的金额", "a grant"))
        low = constant(g.value)
        if low is not None and low < 0:
            self.err("POL305", T("给予的金额是负数", "the grant is negative"), g.value.span)
        elif self.may_be_negative(g.value):
            # A negative grant would be reported as 予以支持 and subtract another clause's money from the
            # totals: what has been paid before is deducted with `offset` or `topup`, which stop at zero.
            self.err(
                "POL305",
                T(
                    "给予的金额可能为负：其中的减法可能减去比现有更多的数",
                    "the grant can be negative: a subtraction in it may take away more than there is",
                ),
                g.value.span,
                T(
                    "扣除以前已付的金额请用 `offset …`（计入并扣除）或 `topup …`（晋级补差），两者都不会低于零；或用 max(…, 0元) 限定",
                    "deduct what was paid before with `offset …` (计入并扣除) or `topup …` (晋级补差), "
                    "which never go below zero; or bound it with max(…, 0元)",
                ),
            )

    def may_be_negative(self, e: ast.Expr) -> bool:
        """Whether the checker cannot prove the expression non-negative (facts are never negative)."""
        lets = {name: decl.expr for name, (ty, decl) in self.lets.items() if not isinstance(ty, ErrorT)}
        low = lower_bound(e, lets, set())
        return low is None or low < 0

    def check_cap_binds(self, c: ast.Clause) -> None:
        g = c.grant
        if g is None or g.mode == "case_by_case":
            return
        top = g.high if g.mode == "range" else g.value
        if top is None:
            return
        for cap in c.caps:
            if isinstance(cap.value, ast.ByTable) and isinstance(top, ast.ByTable) and cap.value.key.id == top.key.id:
                grant_rows = {key_text(k): upper_bound(e.value) for e in top.entries for k in e.keys}
                for e in cap.value.entries:
                    limit = constant(e.value)
                    for k in e.keys:
                        most = grant_rows.get(key_text(k))
                        if limit is not None and most is not None and limit >= most:
                            self.err(
                                "POL304",
                                T(
                                    f"{key_text(k)} 的上限（{money_text(limit)}）永远不起作用：该项给予的金额最多为 {money_text(most)}",
                                    f"the cap for {key_text(k)} ({money_text(limit)}) can never bind: "
                                    f"the grant for it is at most {money_text(most)}",
                                ),
                                e.span,
                            )
                continue
            limit = constant(cap.value)
            most = upper_bound(top)
            if limit is not None and most is not None and limit >= most and not cap.scopes:
                self.err(
                    "POL304",
                    T(
                        f"上限 {money_text(limit)} 永远不起作用：给予的金额最多为 {money_text(most)}",
                        f"the cap {money_text(limit)} can never bind: the grant is at most {money_text(most)}",
                    ),
                    cap.span,
                    T(
                        "删去这个上限，或对照原文核对金额",
                        "remove the cap, or check the amounts against the original text",
                    ),
                )

    def check_example(self, ex: ast.Example | ast.PolicyExample) -> None:
        seen: set[str] = set()
        for fact in ex.facts:
            name = fact.name.id
            if name in seen:
                self.err(
                    "POL401",
                    T(f"算例中事实“{name}”写了两次", f"fact '{name}' is given twice in the example"),
                    fact.span,
                )
            seen.add(name)
            if name not in self.inputs:
                what = (
                    T("定义，由输入算出", "a definition, computed from inputs")
                    if name in self.lets
                    else T("不是输入", "not an input")
                )
                self.err(
                    "POL401",
                    T(f"“{name}”是", f"'{name}' is ") + what + T("；算例只给输入", "; an example gives inputs only"),
                    fact.name.span,
                    *did_you_mean(name, self.inputs),
                )
                continue
            ty = self.inputs[name][0]
            problem = literal_fits(fact.value, ty)
            if problem:
                self.err("POL401", T(f"事实“{name}”：", f"fact '{name}': ") + problem, fact.value.span)
        exp = ex.expect
        for q in (exp.amount, exp.low, exp.high):
            if q is not None and q.unit != CNY:
                self.err(
                    "POL401",
                    T(
                        f"期望金额是以元计的金额，而不是“{q.text}”",
                        f"an expected amount is money in 元, not '{q.text}'",
                    ),
                    q.span,
                )
