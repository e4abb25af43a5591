"""One policy's page: its particulars, then every provision in document order, read in plain Chinese."""

from __future__ import annotations

import datetime
import html

from pol.compiler.checker import BENEFICIARIES, SCOPES, STAGES, CheckedPolicy, names_in
from pol.compiler.chinese import quantity
from pol.compiler.examples import Outcome
from pol.compiler.inventory import KINDS, Entry, inventory
from pol.compiler.runtime import format_money
from pol.compiler.site.calculator import clause_form
from pol.compiler.site.markdown import fence, indent, inline, paragraphs, table
from pol.compiler.site.prose import SiteReading, clause_reading
from pol.compiler.site.search import aliases
from pol.compiler.validity import standing
from pol.dsl import ast
from pol.dsl.source import SourceFile


def heading(p: ast.Clause | ast.Measure) -> str:
    """A provision's heading: its article as printed, then its title."""
    return f"{inline(p.article)}　{heading_title(p)}" if p.article else heading_title(p)


def maximum(e: Entry) -> str:
    """The most one application can get, in words."""
    if e.kind == "qualitative":
        return "—"
    if e.support not in (None, "cash", "资金"):
        return "非资金支持" if e.maximum is None else format_money(e.maximum)
    return format_money(e.maximum) if e.maximum is not None else "无封顶"


# How to apply, in the order a reader needs it.
APPLICATION_FIELDS = (
    ("materials", "申报材料"),
    ("procedure", "申报程序"),
    ("window", "申报时间"),
    ("office", "受理部门"),
    ("contact", "联系方式"),
)


class PolicyPage:
    """Renders one checked policy as Markdown; `as_of` decides the status shown."""

    def __init__(
        self,
        policy: CheckedPolicy,
        source: SourceFile,
        outcomes: list[Outcome],
        as_of: datetime.date,
        slug: str | None = None,
    ):
        self.slug = slug  # where the site keeps its evaluator; without one, the page has no calculators
        self.policy = policy
        self.source = source
        self.as_of = as_of
        self.examples: dict[int, Outcome] = {id(o.example): o for o in outcomes}
        self.entries = {e.id: e for e in inventory(policy).entries}

    def render(self) -> str:
        h = self.policy.header
        lines = [f"# {inline(str(h.get('title', h.get('name', ''))))}", ""]
        lines += self.particulars()
        if h.get("summary"):
            lines += ["", *paragraphs(str(h["summary"]))]
        for note in h.get("note", []):  # type: ignore[attr-defined]
            lines += ["", '!!! note "说明"', "", *indent(paragraphs(note))]
        lines += self.limits()
        lines += ["", "## 条款一览", "", *self.contents()]
        for p in self.policy.provisions:
            lines += ["", *self.provision(p)]
        return "\n".join(lines) + "\n"

    def particulars(self) -> list[str]:
        h = self.policy.header
        s = standing(h, self.as_of)
        rows = [
            ["发文机关", inline(str(h.get("issuer", "—")))],
            ["文号", inline(str(h.get("number", "—")))],
            ["层级", inline(str(h.get("level", "—")))],
            ["状态", f"**{inline(s.label)}**（截至{self.as_of.year}年{self.as_of.month}月{self.as_of.day}日）"],
            ["有效期", inline(s.period)],
        ]
        if h.get("paid_by"):
            rows.append(["资金承担", inline(str(h["paid_by"]))])
        if h.get("region"):
            rows.append(["适用地区", inline(str(h["region"]))])
        if h.get("supersedes") and self.slug:
            rows.append(["修订", f"取代此前版本，见[修订对照](../revisions/{self.slug}.md)"])
        return table(["项目", "内容"], rows)

    def limits(self) -> list[str]:
        if not self.policy.limits:
            return []
        reading = SiteReading(self.policy)
        lines = ["", "## 总额限制", ""]
        for lim in self.policy.limits:
            scope = "".join(SCOPES.get(s, s) for s in lim.scopes)
            on = "、".join(n.id for n in lim.clauses) if lim.clauses else "本文件各条款"
            where = f"（{lim.article}）" if lim.article else ""
            label = lim.label or "资助总额"
            # A label that already says its scope (单个企业每年资助总额余额) is not prefixed with it again, and
            # "limit − already received" reads as the limit and what it is net of, as caps do.
            label = label if any(w in label for w in ("每年", "单个", "每个", "累计")) else scope + label
            label = label.removesuffix("余额") if label.endswith("余额") else label
            value = lim.value
            if isinstance(value, ast.BinOp) and value.op == "-":
                amount = f"{reading.expr(value.left)}（扣除{reading.received(value.right)}后的余额）"
            else:
                amount = reading.expr(value)
            lines.append(f"- {inline(f'{on}：{label}最高不超过{amount}{where}')}")
        return lines

    def contents(self) -> list[str]:
        rows = []
        for p in self.policy.provisions:
            e = self.entries[p.id]
            who = BENEFICIARIES.get(p.beneficiary.id, "") if isinstance(p, ast.Clause) and p.beneficiary else ""
            rows.append([inline(p.article or ""), f"[{heading_title(p)}](#{p.id})", who, KINDS[e.kind], maximum(e)])
        return table(["条目", "内容", "对象", "类型", "单次最高"], rows, ["left", "left", "left", "left", "right"])

    def provision(self, p: ast.Clause | ast.Measure) -> list[str]:
        lines = [f"## {heading(p)} {{#{p.id}}}", ""]
        tags = []
        if isinstance(p, ast.Clause) and p.beneficiary:
            tags.append(f"对象：{BENEFICIARIES.get(p.beneficiary.id, p.beneficiary.id)}")
        if p.stages:
            tags.append("阶段：" + "、".join(STAGES[s.id] for s in p.stages))
        tags.append(f"类型：{KINDS[self.entries[p.id].kind]}")
        lines += ["　".join(f"*{t}*" for t in tags), ""]
        if isinstance(p, ast.Clause):
            reading = clause_reading(self.policy, p)
            lines += [inline(reading.sentence), "{: .pol-reading }", ""]
            # Other ways people write its terms (三期 for III期), for search only.
            said = " ".join([heading(p), reading.sentence, p.original.value if p.original else ""])
            if terms := aliases(said):
                lines += [f'<span class="pol-search-terms" hidden>{html.escape(" ".join(terms))}</span>', ""]
            for t in reading.tables:
                lines += [*t.markdown(), ""]
            e = self.entries[p.id]
            if e.maximum is not None:
                lines += [f"单次申请最多可得：**{format_money(e.maximum)}**", ""]
            if self.slug is not None and names_in((p.conditions, p.grant, p.caps, p.offsets)):
                lines += clause_form(self.slug, p, self.as_of)
        if p.original:
            # A clause's reading comes first and its original folds away; a measure is its text.
            fold = "???" if isinstance(p, ast.Clause) else "!!!"
            lines += [f'{fold} quote "原文"', "", *indent(paragraphs(p.original.value)), ""]
        for note in p.notes:
            lines += ['!!! note "解读"', "", *indent(paragraphs(note.value)), ""]
        if isinstance(p, ast.Clause):
            for ex in p.examples:
                lines += self.example(ex)
        lines += self.units(p)
        if isinstance(p, ast.Clause):
            lines += self.how_to_apply(p)
        lines += ['??? abstract "政策代码"', "", *indent(fence(self.code(p), "pol")), ""]
        return lines[:-1]

    def example(self, ex: ast.Example) -> list[str]:
        outcome = self.examples.get(id(ex))
        body = [f"**{inline(ex.name)}**", ""]
        body += [f"- {inline(self.fact_label(f.name.id))}：{inline(self.literal(f.value))}" for f in ex.facts]
        if outcome is not None:
            body += ["", f"结果：**{inline(outcome.got)}**"]
            if outcome.explanation:
                body += ["", *[f"{i}. {inline(step)}" for i, step in enumerate(outcome.explanation, 1)]]
        return ['!!! example "举例"', "", *indent(body), ""]

    def units(self, p: ast.Clause | ast.Measure) -> list[str]:
        parts = []
        if p.lead:
            parts.append("牵头单位：" + "、".join(inline(t.value) for t in p.lead))
        if p.responsible:
            parts.append("责任单位：" + "、".join(inline(t.value) for t in p.responsible))
        return ["　".join(parts), ""] if parts else []

    def how_to_apply(self, c: ast.Clause) -> list[str]:
        """申报材料, 程序, 时间, 受理部门 and 联系方式 as the text states them (the clause's own, else the document's);
        what it leaves unsaid is said to be so, with whom to ask."""
        h = self.policy.header
        own = dict(c.application)
        ask = "、".join(t.value for t in c.lead) or str(h.get("office") or h.get("issuer") or "发文机关")
        silent = f"原文未规定，请咨询{inline(ask)}"
        rows = []
        for key, label in APPLICATION_FIELDS:
            text = own[key].value if key in own else h.get(key)
            if key == "office" and text is None and c.lead:
                text = "、".join(t.value for t in c.lead) + "（牵头单位）"
            rows.append(f"- {label}：{inline(str(text)) if text else silent}")
        if h.get("guide"):
            rows.append(f"- 申报指南：{inline(str(h['guide']))}")
        if h.get("url"):
            url = str(h["url"])
            rows.append(
                f"- 政策原文：<{url}>" if url.startswith(("https://", "http://")) else f"- 政策原文：{inline(url)}"
            )
        return ['!!! info "如何申请"', "", *indent(rows), ""]

    def fact_label(self, name: str) -> str:
        entry = self.policy.inputs.get(name)
        return (entry[1].label or name) if entry else name

    def literal(self, e: ast.Expr) -> str:
        match e:
            case ast.Quantity():
                return quantity(e)
            case ast.BoolLit(value=v):
                return "是" if v else "否"
            case ast.DateLit(value=v):
                return v.isoformat()
            case ast.Name(id=i):
                return i
            case ast.Text(value=v):
                return v
        return "?"

    def code(self, p: ast.Clause | ast.Measure) -> str:
        """The provision's source text as the drafter wrote it."""
        lines = self.source.text.split("\n")[p.span.line - 1 : p.span.end_line]
        return "\n".join(lines)


def heading_title(p: ast.Clause | ast.Measure) -> str:
    return inline(p.title.value if p.title else p.id)


def page(
    policy: CheckedPolicy, source: SourceFile, outcomes: list[Outcome], as_of: datetime.date, slug: str | None = None
) -> str:
    """The Markdown page of one policy, with a calculator on each clause that reads facts when `slug` is given."""
    return PolicyPage(policy, source, outcomes, as_of, slug).render()
