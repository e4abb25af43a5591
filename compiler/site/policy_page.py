"""One policy's overview page: its particulars and limits, each clause in brief linking to its own page, each measure."""

from __future__ import annotations

import datetime

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.validity import standing
from pol.compiler.check.vocabulary import BENEFICIARIES
from pol.compiler.evaluate.examples import Outcome
from pol.compiler.evaluate.why_not import hints
from pol.compiler.lower import lower
from pol.compiler.reading.inventory import KINDS, inventory
from pol.compiler.reading.markdown import Md, indent, inline, link, paragraphs, table
from pol.compiler.reading.prose import clause_reading
from pol.compiler.reading.provision import heading, heading_title, limit_line, maximum, tags, units
from pol.compiler.runtime import format_money
from pol.compiler.site import paths
from pol.compiler.site.clause_page import ClausePage
from pol.dsl import ast


class PolicyPage:
    """Renders one checked policy as Markdown: an overview page, and a page per clause; `as_of` decides the status."""

    def __init__(
        self,
        policy: CheckedPolicy,
        outcomes: list[Outcome],
        as_of: datetime.date,
        slug: str,
    ):
        self.slug = slug
        self.policy = policy
        self.as_of = as_of
        self.examples: dict[int, Outcome] = {id(o.example): o for o in outcomes}
        self.entries = {e.id: e for e in inventory(policy).entries}
        self.path = paths.policy_page(slug)

    def clause_pages(self) -> dict[str, str]:
        """Each clause's own page, by its path under docs/."""
        out = {}
        found = hints(lower(self.policy, self.slug))
        for c in self.policy.clauses:
            page = ClausePage(self.policy, c, self.entries[c.id], self.examples, self.as_of, self.slug, found[c.id])
            out[page.path] = page.render()
        return out

    def clause_link(self, c: ast.Clause) -> str:
        return paths.relative(paths.clause_page(self.slug, c.id), self.path)

    def render(self) -> str:
        h = self.policy.header
        lines = [f"# {inline(str(h.get('title', h.get('name', ''))))}", ""]
        lines += self.particulars()
        if h.get("summary"):
            lines += ["", *paragraphs(str(h["summary"]))]
        for note in h.get("note", []):  # type: ignore[attr-defined]
            lines += ["", '!!! note "说明"', "", *indent(paragraphs(note))]
        if self.policy.limits:
            lines += ["", "## 总额限制", "", *[f"- {limit_line(self.policy, lim)}" for lim in self.policy.limits]]
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
            ["状态", Md(f"**{inline(s.label)}**（截至{self.as_of.year}年{self.as_of.month}月{self.as_of.day}日）")],
            ["有效期", inline(s.period)],
        ]
        if h.get("paid_by"):
            rows.append(["资金承担", inline(str(h["paid_by"]))])
        if h.get("region"):
            rows.append(["适用地区", inline(str(h["region"]))])
        if h.get("supersedes"):
            revision = paths.relative(f"revisions/{self.slug}.md", self.path)
            rows.append(["修订", Md(f"取代此前版本，见{link('修订对照', revision)}")])
        return table(["项目", "内容"], rows)

    def contents(self) -> list[str]:
        rows = []
        for p in self.policy.provisions:
            e = self.entries[p.id]
            who = BENEFICIARIES.get(p.beneficiary.id, "") if isinstance(p, ast.Clause) and p.beneficiary else ""
            target = self.clause_link(p) if isinstance(p, ast.Clause) else f"#{p.id}"
            rows.append([inline(p.article or ""), link(heading_title(p), target), who, KINDS[e.kind], maximum(e)])
        return table(["条目", "内容", "对象", "类型", "单次最高"], rows, ["left", "left", "left", "left", "right"])

    def provision(self, p: ast.Clause | ast.Measure) -> list[str]:
        """A clause in brief, linking to its page; a measure in full, since its text is all it has."""
        if isinstance(p, ast.Measure):
            lines = [f"## {heading(p)} {{#{p.id}}}", "", tags(p, self.entries[p.id]), ""]
            if p.original:
                lines += ['!!! quote "原文"', "", *indent(paragraphs(p.original.value)), ""]
            if p.general is not None and p.general.value:
                lines += ['!!! tip "各条款共同适用的条件"', "", *indent(paragraphs(p.general.value)), ""]
            for note in p.notes:
                lines += ['!!! note "解读"', "", *indent(paragraphs(note.value)), ""]
            return [*lines, *units(p)][:-1]
        # The clause's page is what search finds; its summary here is left out of the index.
        lines = [f'## {heading(p)} {{#{p.id} data-search-exclude=""}}', ""]
        lines += [inline(clause_reading(self.policy, p, brief=True).sentence), "{: .pol-reading }", ""]
        e = self.entries[p.id]
        most = f"单次申请最多可得：**{format_money(e.maximum)}**　" if e.maximum is not None else ""
        lines.append(f"{most}[本条详情：申请条件、原文、举例、如何申请 →]({self.clause_link(p)})")
        return lines


def page(policy: CheckedPolicy, outcomes: list[Outcome], as_of: datetime.date, slug: str) -> dict[str, str]:
    """The Markdown pages of one policy, by path under docs/: its overview and a page per clause."""
    p = PolicyPage(policy, outcomes, as_of, slug)
    return {p.path: p.render(), **p.clause_pages()}
