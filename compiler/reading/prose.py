"""A clause read as a plain Chinese sentence built from its syntax tree, with its tables set out separately."""

from __future__ import annotations

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.chinese import Reading
from pol.compiler.check.scopes import SCOPES, already
from pol.compiler.check.types import BoolT
from pol.compiler.check.vocabulary import BENEFICIARIES, SUPPORT_KINDS
from pol.compiler.reading.markdown import inline, table
from pol.dsl import ast


@attrs.define
class Table:
    """A tier list or a `by` table, shown below the sentence that refers to it as 表 N."""

    number: int
    caption: str
    header: list[str]
    rows: list[list[str]]

    def markdown(self) -> list[str]:
        return [f"**表{self.number}　{inline(self.caption)}**", "", *table(self.header, self.rows)]


class SiteReading(Reading):
    """Reads a clause's expressions for citizens: yes/no facts by their labels, tables as references to 表 N."""

    def __init__(self, policy: CheckedPolicy, inline_tables: bool = False, brief: bool = False):
        self.policy = policy
        self.inline_tables = inline_tables
        self.brief = brief  # tables named by what decides them, and left to the clause's page
        self.tables: list[Table] = []
        self.caption = "金额"

    def name(self, e: ast.Name) -> str:
        ref = self.policy.ref(e)
        if ref is not None and ref.kind == "input" and isinstance(ref.ty, BoolT):
            label = self.policy.inputs[ref.target][1].label
            return label or e.id
        return e.id

    def expr(self, e: ast.Expr) -> str:
        match e:
            # 研发费用 × 40% reads as 研发费用的40%, as the documents write it.
            case ast.BinOp(op="*", left=base, right=ast.Quantity(unit=unit) as rate) if unit.kind == "ratio":
                return f"{self.group(base)}的{self.expr(rate)}"
            case ast.BinOp(op="*", left=ast.Quantity(unit=unit) as rate, right=base) if unit.kind == "ratio":
                return f"{self.group(base)}的{self.expr(rate)}"
            case ast.Call(func=func, args=args) if len(args) == 2:
                which = "较小者" if func == "min" else "较大者"
                return f"{self.expr(args[0])}与{self.expr(args[1])}中的{which}"
        return super().expr(e)

    def received(self, e: ast.Expr) -> str:
        """An amount already received, by the label its input gives it (此前已获本条晋级奖励)."""
        ref = self.policy.ref(e) if isinstance(e, ast.Name) else None
        if ref is not None and ref.kind == "input" and self.policy.inputs[ref.target][1].label:
            return self.policy.inputs[ref.target][1].label or ""
        return "已获得的" + self.expr(e)

    def group(self, e: ast.Expr) -> str:
        if isinstance(e, ast.Call):
            return f"（{self.expr(e)}）"
        return super().group(e)

    def table(self, e: ast.ByTable | ast.Tiers) -> str:
        if self.inline_tables:
            return super().table(e)
        if self.brief:
            how = "分档确定" if isinstance(e, ast.Tiers) else f"按{'和'.join(self._flatten(e)[0])}确定"
            return f"{self.caption}（{how}）"
        number = len(self.tables) + 1
        t = Table(number, self.caption, [], [])
        self.tables.append(t)  # numbered before any table nested inside it
        if isinstance(e, ast.Tiers):
            t.caption += "（分档；同时符合多档的，按最高一档）"
            t.header = ["档次", "条件", self.caption]
            t.rows = [
                [f"第{i}档", self.expr(tier.condition), self.expr(tier.value)] for i, tier in enumerate(e.entries, 1)
            ]
        else:
            keys, t.rows = self._flatten(e)
            t.caption += f"（按{'和'.join(keys)}确定）"
            t.header = [*keys, self.caption]
        return f"表{number}所列{self.caption}"

    def _flatten(self, e: ast.ByTable) -> tuple[list[str], list[list[str]]]:
        """Nested `by` tables become one table with a column per key; each row ends with its value."""
        keys = [e.key.id]
        rows: list[list[str]] = []
        entries = [(x.keys, x.value) for x in e.entries]
        if e.default is not None:
            entries.append(((), e.default))
        for row_keys, value in entries:
            cell = "、".join(self.expr(k) for k in row_keys) if row_keys else "其他"
            if isinstance(value, ast.ByTable):
                inner_keys, inner_rows = self._flatten(value)
                keys += [k for k in inner_keys if k not in keys]
                rows += [[cell, *inner] for inner in inner_rows]
            else:
                rows.append([cell, self.expr(value)])
        return keys, [[*r[:-1], *["—"] * (len(keys) + 1 - len(r)), r[-1]] for r in rows]


@attrs.frozen
class ClauseReading:
    """A clause as the site shows it: one sentence, the tables it refers to, and its stated maximum."""

    sentence: str
    tables: list[Table]


def clause_reading(
    policy: CheckedPolicy, c: ast.Clause, inline_tables: bool = False, brief: bool = False
) -> ClauseReading:
    """Read a clause as one plain Chinese sentence: who, on what conditions, gets what, within which caps.

    Tables are set out separately as 表 N, read into the sentence when `inline_tables` is set, or only named
    by what decides them when `brief` is (a summary that links to the clause's page).
    """
    r = SiteReading(policy, inline_tables, brief)
    who = BENEFICIARIES.get(c.beneficiary.id, c.beneficiary.id) if c.beneficiary else "申请人"
    if c.parties:
        who += "（" + "、".join(p.value for p in c.parties) + "各自计算）"
    parts: list[str] = []
    if len(c.conditions) == 1:
        parts.append(f"符合以下条件的{who}：{r.expr(c.conditions[0])}；")
    elif c.conditions:
        listed = "；".join(f"（{i}）{r.expr(cond)}" for i, cond in enumerate(c.conditions, 1))
        parts.append(f"同时符合以下条件的{who}：{listed}；")
    else:
        parts.append(f"对{who}，")
    terms: list[str] = []
    if c.grant is not None:
        terms.append(_grant(r, c.grant))
    capped: list[str] = []  # the caps applied after the offsets (扣除后封顶), said after them
    for cap in c.caps:
        if cap.derived:
            (capped if cap.after_offsets else terms).append(f"{already(cap.scopes)}已获本条资助的，以余额为限")
            continue
        r.caption = cap.label or "上限"
        scope = "".join(SCOPES.get(s, s) for s in cap.scopes)
        if isinstance(cap.value, ast.BinOp) and cap.value.op == "-":
            # "cap − already received" is how a shared or cumulative cap is written: say it that way.
            limit = f"{r.expr(cap.value.left)}（扣除{r.received(cap.value.right)}后的余额）"
            label = ""
        else:
            limit = r.expr(cap.value)
            label = f"（{cap.label}）" if cap.label and cap.label not in limit else ""
        (capped if cap.after_offsets else terms).append(f"{scope}最高不超过{limit}{label}")
    for off in c.offsets:
        if off.kind == "offset":
            terms.append(f"{r.received(off.value)}计入本项，予以扣除")
        else:
            terms.append(f"按晋级补差原则，扣除{r.received(off.value)}")
    if capped:
        terms.append("扣除后" + "，".join(capped))
    if c.duration is not None:
        terms.append(f"支持期限{r.expr(c.duration)}（自首次获得支持之年起计）")
    for ob in c.obligations:
        promise = ob.label or f"{r.expr(ob.term)}内保持：{r.expr(ob.condition)}"
        terms.append(f"获得支持后须{promise.removeprefix('承诺')}，未履行的收回已拨付资金")
    if c.once is not None:
        terms.append(
            f"一次性给予：{c.once.key.id}相同的，只给予一次" if c.once.key is not None else "一次性给予，不重复给予"
        )
    sentence = parts[0] + "，".join(terms) + "。"
    return ClauseReading(sentence, r.tables)


def _grant(r: SiteReading, g: ast.Grant) -> str:
    what = SUPPORT_KINDS.get(g.support, g.support) if g.support else "资金"
    what = "资金支持" if what == "资金" else what
    match g.mode:
        case "exact":
            assert g.value is not None
            r.caption = "金额"
            if isinstance(g.value, ast.Quantity):
                return f"给予{r.expr(g.value)}{what}"
            amount = r.expr(g.value)
            return f"{amount if amount.startswith('按') else '按' + amount}给予{what}"
        case "up_to":
            assert g.value is not None
            r.caption = "金额"
            return f"给予最高不超过{r.expr(g.value)}的{what}，具体金额由主管部门审定"
        case "range":
            assert g.low is not None and g.high is not None
            r.caption = "金额"
            return f"给予{r.expr(g.low)}至{r.expr(g.high)}的{what}，具体金额由主管部门审定"
        case "case_by_case":
            r.caption = "最高金额"
            most = f"，最高{r.expr(g.value)}" if g.value is not None else ""
            return f"采取“一事一议”方式给予{what}{most}"
