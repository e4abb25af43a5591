"""A clause's own page, for citizens: its reading beside the original, every condition, amounts, examples, how to apply."""

from __future__ import annotations

import datetime
import html
from typing import Any

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.types import BoolT, DateT, EnumT, QuantityT
from pol.compiler.check.validity import standing
from pol.compiler.evaluate.examples import Outcome
from pol.compiler.lower import reads
from pol.compiler.reading.inventory import Entry
from pol.compiler.reading.markdown import inline, paragraphs
from pol.compiler.reading.prose import SiteReading, clause_reading
from pol.compiler.reading.provision import example, heading, how_to_apply, limit_line, literal, tags, units
from pol.compiler.runtime import format_money
from pol.compiler.site import paths
from pol.compiler.site.calculator import clause_form
from pol.compiler.site.search import aliases
from pol.dsl import ast


class ClausePage:
    """Renders the page of one clause of a checked policy; `as_of` decides the status it states."""

    def __init__(
        self,
        policy: CheckedPolicy,
        clause: ast.Clause,
        entry: Entry,
        outcomes: dict[int, Outcome],
        as_of: datetime.date,
        slug: str,
        hint: dict[str, Any] | None = None,
    ):
        self.policy = policy
        self.hint = hint  # for the calculator's "what would change the answer"
        self.clause = clause
        self.entry = entry
        self.outcomes = outcomes  # by id() of the worked example they ran
        self.as_of = as_of
        self.slug = slug
        self.path = paths.clause_page(slug, clause.id)
        # The inputs its rule reads, in order of first use: the facts an applicant states, the calculator's fields.
        self.reads = reads(policy, (clause.conditions, clause.grant, clause.caps, clause.offsets))

    def link(self, target: str) -> str:
        return paths.relative(target, self.path)

    def render(self) -> str:
        # Search finds a clause by its title, reading, original, conditions and notes; the sections every clause
        # page has alike (facts, limits, calculator, examples, how to apply) are left out of the index.
        c = self.clause
        title = inline(c.title.value if c.title else c.id)
        lines = [f"# {title} {{#{c.id}}}", "", self.where(), "", tags(c, self.entry), ""]
        lines += self.reading()
        lines += self.conditions()
        lines += self.facts()
        lines += self.limits()
        if self.reads:
            lines += [
                '## 算一算 {#算一算 .pol-calculator-heading data-search-exclude=""}',
                "",
                *clause_form(self.slug, c, self.as_of, self.hint),
            ]
        if c.examples:
            lines += ['## 举例 {#举例 data-search-exclude=""}', "", '<div class="pol-examples" markdown>', ""]
            for ex in c.examples:
                lines += example(self.policy, ex, self.outcomes.get(id(ex)))
            lines += ["</div>", ""]
        if c.notes:
            lines += ["## 解读 {#解读}", ""]
            for note in c.notes:
                lines += [*paragraphs(note.value), ""]
        lines += ['## 如何申请 {#如何申请 data-search-exclude=""}', "", *how_to_apply(self.policy, c), "", *units(c)]
        source = self.link(f"{paths.source_page(self.slug)}#{c.id}")
        lines += ["---", "", f"起草人员参考：[本条的政策代码]({source})", "{: .pol-for-drafters }", ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def where(self) -> str:
        """The document the clause belongs to, where in it, and whether it is in force on the site's day."""
        h = self.policy.header
        s = standing(h, self.as_of)
        doc = f"[{inline(str(h.get('title', h.get('name', ''))))}]({self.link(paths.policy_page(self.slug))})"
        article = f"　{inline(self.clause.article)}" if self.clause.article else ""
        day = f"{self.as_of.year}年{self.as_of.month}月{self.as_of.day}日"
        return f"{doc}{article}　·　**{inline(s.label)}**（截至{day}）"

    def reading(self) -> list[str]:
        """The plain reading and the original side by side (one above the other on a phone), then its tables."""
        c = self.clause
        r = clause_reading(self.policy, c)
        said = " ".join([heading(c), r.sentence, c.original.value if c.original else ""])
        lines = ['<div class="pol-side" markdown>', '<div class="pol-side-reading" markdown>', ""]
        lines += ["**本条规定**", "", inline(r.sentence), "{: .pol-reading }", ""]
        if terms := aliases(said):  # other ways people write its terms (三期 for III期), for search only
            lines += [f'<span class="pol-search-terms" hidden>{html.escape(" ".join(terms))}</span>', ""]
        lines += ["</div>"]
        if c.original:
            lines += ['<div class="pol-side-original" markdown>', "", "**政策原文**", ""]
            lines += [*paragraphs(c.original.value), "", "</div>"]
        lines += ["</div>", ""]
        for t in r.tables:
            lines += [*t.markdown(), ""]
        if self.entry.maximum is not None:
            lines += [f"单次申请最多可得：**{format_money(self.entry.maximum)}**", ""]
        return lines

    def conditions(self) -> list[str]:
        """Every condition that applies: the document's common ones, the clause's own, and the cases it tells apart."""
        c = self.clause
        items = []
        for m in self.policy.provisions:
            if isinstance(m, ast.Measure) and m.general is not None:
                where = f"[{heading(m)}]({self.link(paths.policy_page(self.slug))}#{m.id})"
                said = m.general.value or (m.original.value if m.original else "")
                items.append(f"- **共同条件**（本政策{where}）：{inline(said)}")
        r = SiteReading(self.policy, inline_tables=True)
        if c.conditions:
            items += [f"- **本条条件**：{inline(r.expr(cond))}。" for cond in c.conditions]
        else:
            items.append("- **本条条件**：原文未另设条件。")
        for name in self.reads:
            ty, decl = self.policy.inputs[name]
            if not isinstance(ty, EnumT) or ty.name not in self.policy.enums:
                continue
            members = self.policy.enums[ty.name].members
            # An enumeration whose members are described (I期: 完成I期临床试验备案且启动临床试验) states the
            # cases the text tells apart; the description is the text's own trigger for each.
            if any(m.label and m.label != m.name for m in members):
                items.append(f"- **{inline(decl.label or name)}**，按原文分为：")
                items += [
                    f"    - {inline(m.name)}：{inline(m.label)}"
                    if m.label and m.label != m.name
                    else f"    - {inline(m.name)}"
                    for m in members
                ]
        return ["## 申请条件 {#申请条件}", "", *items, ""]

    def facts(self) -> list[str]:
        """What an applicant states to have the amount computed, as the calculator asks it."""
        rows = []
        for name in self.reads:
            ty, decl = self.policy.inputs[name]
            match ty:
                case BoolT():
                    kind = "是或否"
                case EnumT(members=members):
                    kind = "、".join(members)
                case DateT():
                    kind = "日期"
                case QuantityT(unit=unit):
                    kind = unit.describe()
                case _:
                    kind = ""
            default = ""
            if decl.default is not None:
                value = literal(decl.default)
                default = "；未获得的按 0 计" if value in ("0元", "0") else f"；不填时按{value}计"
            rows.append(f"- {inline(decl.label or name)}：{inline(kind)}{inline(default)}")
        if not rows:
            return []
        return ['## 需要说明的情况 {#需要说明的情况 data-search-exclude=""}', "", *rows, ""]

    def limits(self) -> list[str]:
        """The document's limits on totals that take this clause's amount into account."""
        mine = [
            lim for lim in self.policy.limits if not lim.clauses or any(n.id == self.clause.id for n in lim.clauses)
        ]
        if not mine:
            return []
        return [
            '## 总额限制 {#总额限制 data-search-exclude=""}',
            "",
            *[f"- {limit_line(self.policy, lim)}" for lim in mine],
            "",
        ]
