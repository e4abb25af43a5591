"""Checking clauses, measures, limits and examples: grants, caps, stages, received amounts, worked examples."""

from __future__ import annotations

from pol.compiler.check.expressions import ExpressionChecks
from pol.compiler.check.folding import (
    constant,
    did_you_mean,
    key_text,
    literal_fits,
    lower_bound,
    money_text,
    upper_bound,
)
from pol.compiler.check.scopes import RECEIVED_SCOPES, SCOPES
from pol.compiler.check.types import BOOL, ErrorT, QuantityT, Ty
from pol.compiler.check.vocabulary import (
    BENEFICIARIES,
    LEVEL_RANK,
    STAGES,
    SUPPORT_KINDS,
)
from pol.dsl import ast
from pol.dsl.ast import names_in  # re-exported: the checker's callers import it from here
from pol.dsl.units import CNY


class ClauseChecks(ExpressionChecks):
    """Checks each provision and limit, on top of the expression checks."""

    def check_stages(self, p: ast.Clause | ast.Measure) -> None:
        for s in p.stages:
            if s.id not in STAGES:
                self.err(
                    "POL107",
                    f"'{s.id}' is not a stage of a product's life",
                    s.span,
                    *did_you_mean(s.id, STAGES),
                    "stages: research, clinical, industrialisation, market, international",
                )

    def check_received(self, decl: ast.InputDecl, ty: Ty, clause_ids: set[str]) -> None:
        r = decl.received
        assert r is not None
        if r.of is not None:
            # The sum of a fact over earlier grants: a quantity of the fact's own unit.
            of = self.inputs.get(r.of.id)
            if of is None:
                self.err("POL101", f"'{r.of.id}' is not an input", r.of.span, *did_you_mean(r.of.id, self.inputs))
            elif not isinstance(of[0], QuantityT) or of[0] != ty:
                self.err(
                    "POL201",
                    f"'{decl.name}' sums '{r.of.id}' over earlier grants, so it must be of the same kind "
                    f"({of[0].describe()}), not {ty.describe()}",
                    r.span,
                )
            if r.local:
                self.err(
                    "POL107", "`received local … of` is not supported: other governments' grants hold no facts", r.span
                )
        elif not (isinstance(ty, QuantityT) and ty.unit.kind == "money"):
            self.err("POL201", f"'{decl.name}' is filled from grants received, so it must be money", r.span)
        for name in r.clauses:
            if name.id not in clause_ids and name.id not in self.broken:  # a broken clause is reported once
                self.err(
                    "POL101", f"no clause '{name.id}' in this policy", name.span, *did_you_mean(name.id, clause_ids)
                )
        for s in r.scopes:
            if s not in RECEIVED_SCOPES:
                self.err(
                    "POL107",
                    f"'{s}' is not a scope of amounts received",
                    r.span,
                    *did_you_mean(s, RECEIVED_SCOPES),
                    "scopes: per product, per project, per policy, per year, per quarter, per enterprise, total",
                )
        if r.local and LEVEL_RANK.get(str(self.header.get("level")), 99) >= LEVEL_RANK["区级"]:
            self.err(
                "POL106",
                "`received local` sums grants of lower levels of government, so the policy needs "
                "a level above district",
                r.span,
                "e.g. `level: province` in the policy header",
            )

    def check_earlier(self, decl: ast.InputDecl, ty: Ty) -> None:
        e = decl.earlier
        assert e is not None
        if ty != BOOL:
            self.err("POL201", f"'{decl.name}' is filled from earlier years' events, so it must be yes/no", e.span)
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
                "`earlier` compares an input with a figure, as in `earlier 年销售收入 突破 10亿`",
                c.span,
            )

    def check_clause(self, c: ast.Clause) -> None:
        if c.subject is not None and self.subjects is not None and c.subject.id not in self.subjects:
            self.err(
                "POL107",
                f"'{c.subject.id}' is not a subject of the taxonomy",
                c.subject.span,
                *did_you_mean(c.subject.id, self.subjects),
                "subjects are listed in subjects.toml beside the policies",
            )
        if c.beneficiary and c.beneficiary.id not in BENEFICIARIES:
            self.err(
                "POL107",
                f"'{c.beneficiary.id}' is not a kind of beneficiary",
                c.beneficiary.span,
                *did_you_mean(c.beneficiary.id, BENEFICIARIES),
                "beneficiaries: enterprise, park, institution, platform, person",
            )
        for cond in c.conditions:
            self.expect_bool(cond)
        if c.grant is None:
            self.err(
                "POL106",
                f"clause '{c.id}' has no grant",
                c.id_span,
                "write `grant …`, or make it a `measure` if the text gives no money or support",
            )
        else:
            self.check_grant(c, c.grant)
        for cap in c.caps:
            self.expect_money(cap.value, "a cap")
            for s in cap.scopes:
                if s not in SCOPES:
                    self.err(
                        "POL107",
                        f"'{s}' is not a scope of a cap",
                        cap.span,
                        *did_you_mean(s, SCOPES),
                        "scopes: per year, per quarter, per product, per enterprise, per project, per policy, total",
                    )
            low = constant(cap.value)
            if low is not None and low < 0:
                self.err("POL305", f"the cap is negative ({money_text(low)})", cap.value.span)
        self.check_cap_binds(c)
        for off in c.offsets:
            self.expect_money(off.value, "an amount already paid")
        if c.duration is not None and c.duration.unit.kind != "years":
            self.err("POL204", f"a duration is a number of years such as 5年, not '{c.duration.text}'", c.duration.span)
        if c.once is not None and c.once.key is not None and c.once.key.id not in self.inputs:
            self.err(
                "POL101",
                f"'{c.once.key.id}' is not an input: `once by` names the fact whose each value is paid once",
                c.once.key.span,
                *did_you_mean(c.once.key.id, self.inputs),
            )
        for ex in c.examples:
            self.check_example(ex)

    def check_grant(self, c: ast.Clause, g: ast.Grant) -> None:
        if g.support is not None and g.support not in SUPPORT_KINDS:
            self.err(
                "POL107",
                f"'{g.support}' is not a kind of support",
                g.span,
                *did_you_mean(g.support, SUPPORT_KINDS),
                "kinds: cash, equity, tax_refund, service",
            )
        if g.mode == "case_by_case":
            return
        if g.mode == "range":
            assert g.low is not None and g.high is not None
            self.expect_money(g.low, "the low end of a range")
            self.expect_money(g.high, "the high end of a range")
            lo, hi = constant(g.low), constant(g.high)
            if lo is not None and hi is not None and lo > hi:
                self.err("POL306", "the range's low end is above its high end", g.span)
            return
        assert g.value is not None
        self.expect_money(g.value, "a grant")
        low = constant(g.value)
        if low is not None and low < 0:
            self.err("POL305", "the grant is negative", g.value.span)
        elif self.may_be_negative(g.value):
            # A negative grant would be reported as 予以支持 and subtract another clause's money from the
            # totals: what has been paid before is deducted with `offset` or `topup`, which stop at zero.
            self.err(
                "POL305",
                "the grant can be negative: a subtraction in it may take away more than there is",
                g.value.span,
                "deduct what was paid before with `offset …` (计入并扣除) or `topup …` (晋级补差), "
                "which never go below zero; or bound it with max(…, 0元)",
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
                                f"the cap for {key_text(k)} ({money_text(limit)}) can never bind: "
                                f"the grant for it is at most {money_text(most)}",
                                e.span,
                            )
                continue
            limit = constant(cap.value)
            most = upper_bound(top)
            if limit is not None and most is not None and limit >= most and not cap.scopes:
                self.err(
                    "POL304",
                    f"the cap {money_text(limit)} can never bind: the grant is at most {money_text(most)}",
                    cap.span,
                    "remove the cap, or check the amounts against the original text",
                )

    def check_example(self, ex: ast.Example | ast.PolicyExample) -> None:
        seen: set[str] = set()
        for fact in ex.facts:
            name = fact.name.id
            if name in seen:
                self.err("POL401", f"fact '{name}' is given twice in the example", fact.span)
            seen.add(name)
            if name not in self.inputs:
                what = "a definition, computed from inputs" if name in self.lets else "not an input"
                self.err(
                    "POL401",
                    f"'{name}' is {what}; an example gives inputs only",
                    fact.name.span,
                    *did_you_mean(name, self.inputs),
                )
                continue
            ty = self.inputs[name][0]
            problem = literal_fits(fact.value, ty)
            if problem:
                self.err("POL401", f"fact '{name}': {problem}", fact.value.span)
        exp = ex.expect
        for q in (exp.amount, exp.low, exp.high):
            if q is not None and q.unit != CNY:
                self.err("POL401", f"an expected amount is money in 元, not '{q.text}'", q.span)

    def check_limit(self, lim: ast.Limit, clause_ids: set[str]) -> None:
        self.expect_money(lim.value, "a limit")
        for name in names_in(lim.value):
            decl = self.inputs.get(name)
            if decl is not None and decl[1].default is None:
                # A limit applies to the totals, after every clause: it cannot wait for a missing fact.
                self.err(
                    "POL107",
                    f"the limit uses '{name}', which has no default",
                    lim.span,
                    f"give it one, e.g. `input {name}: money default 0` for amounts already received",
                )
        for s in lim.scopes:
            if s not in SCOPES:
                self.err("POL107", f"'{s}' is not a scope of a limit", lim.span, *did_you_mean(s, SCOPES))
        for ref in lim.clauses:
            if ref.id not in clause_ids and ref.id not in self.broken:
                self.err("POL101", f"no clause is called '{ref.id}'", ref.span, *did_you_mean(ref.id, clause_ids))

    def check_limits_nest(self, limits: list[ast.Limit]) -> None:
        """Limits are nested or apart: for two that share some clauses but not all, no order of cuts is right."""
        sets = [(lim, frozenset(n.id for n in lim.clauses)) for lim in limits if lim.clauses]
        for i, (lim, mine) in enumerate(sets):
            for other, theirs in sets[:i]:
                if mine & theirs and not (mine <= theirs or theirs <= mine):
                    self.err(
                        "POL307",
                        "this limit shares some clauses with the limit at line "
                        f"{other.span.line} but not all ({'、'.join(sorted(mine & theirs))})",
                        lim.span,
                        "limits must be nested (one on a part of the other's clauses) or apart, so that "
                        "a cut is counted once; write the shared clauses' limit as its own `limit`",
                    )
