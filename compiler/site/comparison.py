"""A project compared across policies as a Markdown page: one column per policy, one row per subject."""

from __future__ import annotations

import datetime

from pol.compiler.ledger.compare import Cell, Comparison, times
from pol.compiler.reading.markdown import Md, inline, link, paragraphs, table
from pol.compiler.reading.provision import heading_title
from pol.compiler.runtime import format_money
from pol.compiler.site import paths

# Where comparison pages sit under docs/, for their links.
PAGE = "compare/project.md"


def comparison_page(
    comp: Comparison, slugs: dict[str, str] | None = None, site_as_of: datetime.date | None = None
) -> str:
    """The page; with `slugs` (policy key to page name), policies and articles link to the site's pages.

    With `site_as_of`, a comparison computed for another day says so at its top.
    """

    def policy_name(key: str, title: str) -> Md:
        return link(title, paths.relative(paths.policy_page(slugs[key]), PAGE)) if slugs else inline(title)

    def cell(key: str, c: Cell, count: int, best: object) -> str:
        target = paths.relative(paths.clause_page(slugs[key], c.clause.id), PAGE) if slugs else None
        ref = f"[{inline(c.reference)}]({target})" if target else inline(c.reference)
        ref += inline(times(count))
        text = inline(c.text)
        return f"**{text}**（{ref}）" if best is not None and c.value == best else f"{text}（{ref}）"

    p = comp.project
    lines = [f"# {inline(p.name or '项目对比')}", ""]
    if site_as_of is not None and comp.as_of != site_as_of:
        lines += [
            '!!! warning "计算日期不同"',
            "",
            f"    本对比按 {comp.as_of.isoformat()} 有效的条款计算，不是本站其他页面所用的 {site_as_of.isoformat()}；"
            "各政策的状态和金额以该日期为准。",
            "",
        ]
    if p.description:
        lines += paragraphs(p.description) + [""]
    lines += [
        f"按 {comp.as_of.year}年{comp.as_of.month}月{comp.as_of.day}日 有效的条款计算。同一行是支持同一事项的条款；"
        "加粗的是该行金额最高的一项。“最高”为上限，具体金额由主管部门审定。",
        "",
    ]
    header = ["事项", *(inline(c.label) for c in comp.columns)]
    rows = [
        ["政策", *(policy_name(c.policy.key, c.policy.title) for c in comp.columns)],
        ["状态", *(inline(c.standing) for c in comp.columns)],
    ]
    for row in comp.rows:
        best = comp.best(row)
        rows.append(
            [
                inline(row),
                *(
                    Md("<br>".join(cell(c.policy.key, x, n, best) for x, n in c.shown(row)) or "—")
                    for c in comp.columns
                ),
            ]
        )
    rows.append(["确定金额合计", *(inline(format_money(c.evaluation.determined)) for c in comp.columns)])
    rows.append(["含上限金额合计", *(inline(format_money(c.evaluation.maximum)) for c in comp.columns)])
    rows.append(["其余尚缺信息的条款", *(f"{comp.unmatched(c)} 条" for c in comp.columns)])
    lines += table(header, rows)
    lines += ["", "## 计算过程", ""]
    for c in comp.columns:
        lines += [f"### {inline(c.policy.title)}", ""]
        for x in c.all_cells():
            if x.result.status == "needs_facts":
                continue
            lines.append(f"- **{inline(x.reference)} {heading_title(x.clause)}**：{inline(x.text)}")
            lines += [f"    - {inline(step)}" for step in x.result.explanation]
        lines += [f"- {inline(note)}" for note in c.evaluation.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
