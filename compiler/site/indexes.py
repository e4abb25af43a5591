"""Pages across all policies: the home page, indexes by beneficiary and by stage, the largest grants, a comparison."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from decimal import Decimal

import attrs

from pol.compiler.check.checker import CheckedPolicy
from pol.compiler.check.validity import standing
from pol.compiler.check.vocabulary import BENEFICIARIES, STAGES
from pol.compiler.reading.inventory import KINDS, Entry, Inventory, annual_text, inventory
from pol.compiler.reading.markdown import Md, inline, link, table
from pol.compiler.reading.prose import clause_reading
from pol.compiler.reading.provision import heading_title, maximum
from pol.compiler.runtime import format_money
from pol.compiler.site import paths
from pol.dsl import ast

# How many clauses the table of the largest grants lists.
LARGEST = 30


@attrs.frozen(slots=False)
class Document:
    """One policy as the site's indexes see it: where its page is, its inventory and its status."""

    slug: str
    policy: CheckedPolicy
    inventory: Inventory
    as_of: datetime.date | None = None  # the day status is judged on; None: every policy counts as in force

    @functools.cached_property
    def status(self) -> str:
        return standing(self.policy.header, self.as_of).label if self.as_of else "现行有效"

    @property
    def current(self) -> bool:
        """In force on the site's day, and not a draft: the policies finder pages and rankings offer."""
        return self.as_of is None or (
            standing(self.policy.header, self.as_of).in_force and self.policy.header.get("status") != "征求意见稿"
        )

    @property
    def title(self) -> str:
        return str(self.policy.header.get("title", self.slug))

    @property
    def issuer(self) -> str:
        return str(self.policy.header.get("issuer", "—"))

    def link(self, p: ast.Clause | ast.Measure, page: str = "index.md") -> str:
        """A link, written on `page`, to a clause's own page or to a measure on the policy's page."""
        if isinstance(p, ast.Clause):
            target = paths.clause_page(self.slug, p.id)
        else:
            target = f"{paths.policy_page(self.slug)}#{p.id}"
        return link(heading_title(p), paths.relative(target, page))

    def entry(self, p: ast.Clause | ast.Measure) -> Entry:
        return self.entries[p.id]

    @functools.cached_property
    def entries(self) -> dict[str, Entry]:
        return {e.id: e for e in self.inventory.entries}


def documents(items: list[tuple[str, CheckedPolicy]], as_of: datetime.date | None = None) -> list[Document]:
    return [Document(slug, policy, inventory(policy), as_of) for slug, policy in items]


_NOT_CURRENT = "已失效、尚未施行或征求意见稿的政策"


def _not_current(docs: list[Document], keep: Callable[[ast.Clause | ast.Measure], bool]) -> list[str]:
    """The part of a finder page for policies not in force: apart, labelled, each row with its status."""
    rows = [[inline(d.status), *row] for d in docs if not d.current for row in _clause_rows([d], keep)]
    if not rows:
        return []
    return [
        "",
        f"## {_NOT_CURRENT}",
        "",
        "以下条款所在的政策不在有效期内或尚未定稿，仅供参考，不能据以申请。",
        "",
        *table(["状态", *_CLAUSE_HEADER], rows, ["left", *_CLAUSE_ALIGN]),
    ]


def _doc_link(d: Document) -> str:
    return link(d.title, paths.policy_page(d.slug))


def home(docs: list[Document], as_of: datetime.date, site_name: str) -> str:
    """The home page: what the site is, and every policy with its status."""
    rows = []
    for d in docs:
        s = standing(d.policy.header, as_of)
        rows.append(
            [
                _doc_link(d),
                inline(d.issuer),
                inline(str(d.policy.header.get("level", "—"))),
                inline(s.label),
                str(len(d.policy.clauses)),
                str(len(d.policy.measures)),
                inline(annual_text(d.inventory)),
            ]
        )
    lines = [
        f"# {inline(site_name)}",
        "",
        "本站把各地产业扶持政策逐条写成白话，说明谁可以申请、条件是什么、能得多少、由哪个部门负责。"
        "每一条都附有原文、计算示例和解读；金额由政策代码计算，与政策计算器的结果一致。",
        "",
        f"政策状态按 {as_of.isoformat()} 判断。",
        "",
        "## 政策文件",
        "",
        *table(
            ["文件", "发文机关", "层级", "状态", "资金条款", "其他措施", "单个企业每年最高"],
            rows,
            ["left", "left", "left", "left", "right", "right", "right"],
        ),
        "",
        "## 查找",
        "",
        "- [按支持对象](by-beneficiary.md)：企业、园区、机构、平台、个人各能得到哪些支持。",
        "- [按产品阶段](by-stage.md)：研发、临床试验、产业化、市场开拓、国际化各阶段的支持。",
        "- [最高额度](largest.md)：各政策中单项金额最高的条款。",
        "- [各地对比](compare.md)：同一阶段的支持在不同城市、不同层级的政策中并列比较。",
        "- [条款清单](inventory.md)：每份文件的条款按类型计数。",
    ]
    return "\n".join(lines) + "\n"


def _clause_rows(docs: list[Document], keep: Callable[[ast.Clause | ast.Measure], bool]) -> list[list[str]]:
    rows = []
    for d in docs:
        for p in d.policy.provisions:
            if keep(p):
                e = d.entry(p)
                rows.append([inline(d.title), inline(p.article or ""), d.link(p), KINDS[e.kind], maximum(e)])
    return rows


_CLAUSE_HEADER = ["文件", "条目", "内容", "类型", "单次最高"]
_CLAUSE_ALIGN = ["left", "left", "left", "left", "right"]


def by_beneficiary(docs: list[Document]) -> str:
    """Every clause grouped by who receives it."""
    lines = [
        "# 按支持对象",
        "",
        "每项资金或其他支持按领取对象列出，只列现行有效的政策；定性措施没有特定对象，见各政策页面。",
    ]
    current = [d for d in docs if d.current]
    for key in dict.fromkeys(v for v in BENEFICIARIES.values()):

        def for_them(p: ast.Clause | ast.Measure, key: str = key) -> bool:
            return (
                isinstance(p, ast.Clause) and p.beneficiary is not None and BENEFICIARIES.get(p.beneficiary.id) == key
            )

        rows = _clause_rows(current, for_them)
        if rows:
            lines += ["", f"## {key}", "", *table(_CLAUSE_HEADER, rows, _CLAUSE_ALIGN)]
    lines += _not_current(docs, lambda p: isinstance(p, ast.Clause) and p.beneficiary is not None)
    return "\n".join(lines) + "\n"


def _stages() -> list[tuple[str, str]]:
    return [(k, v) for k, v in STAGES.items() if k.isascii()]


def by_stage(docs: list[Document]) -> str:
    """Every provision tagged with a stage of a product's life, by stage; measures included."""
    lines = [
        "# 按产品阶段",
        "",
        "从研发到国际化，产品每个阶段可以得到的支持，包括资金条款和定性措施；只列现行有效的政策。",
    ]
    current = [d for d in docs if d.current]
    for key, label in _stages():

        def at_stage(p: ast.Clause | ast.Measure, key: str = key, label: str = label) -> bool:
            return any(s.id in (key, label) for s in p.stages)

        rows = _clause_rows(current, at_stage)
        if rows:
            lines += ["", f"## {label}", "", *table(_CLAUSE_HEADER, rows, _CLAUSE_ALIGN)]
    lines += _not_current(docs, lambda p: bool(p.stages))
    return "\n".join(lines) + "\n"


def largest(docs: list[Document]) -> str:
    """The clauses with the largest stated maximum in money, across all policies."""
    found: list[tuple[Decimal, int, Document, ast.Clause]] = []
    for d in (d for d in docs if d.current):  # a ranking counts only what can be applied for
        for i, c in enumerate(d.policy.clauses):
            e = d.entry(c)
            if e.maximum is not None and e.support in (None, "cash", "资金"):
                found.append((e.maximum, i, d, c))
    found.sort(key=lambda x: (-x[0], x[2].slug, x[1]))
    rows = [
        [str(n), Md(f"**{format_money(m)}**"), d.link(c), inline(d.title), KINDS[d.entry(c).kind]]
        for n, (m, _, d, c) in enumerate(found[:LARGEST], 1)
    ]
    lines = [
        "# 最高额度",
        "",
        f"现行有效的政策中，单项资金支持按单次申请最多可得的金额排列（前 {LARGEST} 项）；已失效、尚未施行和"
        "征求意见稿的政策不参与排名。“最高限额（酌定）”和“区间（酌定）”"
        "的实际金额由主管部门审定；一事一议且未写明上限的条款不在表中。",
        "",
        *table(["排名", "最多可得", "内容", "文件", "类型"], rows, ["right", "right", "left", "left", "left"]),
    ]
    return "\n".join(lines) + "\n"


def compare(docs: list[Document]) -> str:
    """The same stage of support side by side across cities and levels."""
    stages = _stages()
    matrix = []
    for d in docs:
        cells = []
        for key, label in stages:
            tagged = [p for p in d.policy.provisions if any(s.id in (key, label) for s in p.stages)]
            clauses = [c for c in tagged if isinstance(c, ast.Clause)]
            best = [top for c in clauses if (top := d.entry(c).maximum) is not None]
            cell = f"{len(clauses)} 项资金" + (f"，最高 {format_money(max(best))}" if best else "") if clauses else ""
            if len(tagged) > len(clauses):
                cell += ("；" if cell else "") + f"{len(tagged) - len(clauses)} 项措施"
            cells.append(Md(cell or "—"))  # pol's own words and amounts
        matrix.append([_doc_link(d), inline(d.status), inline(str(d.policy.header.get("level", "—"))), *cells])
    lines = [
        "# 各地对比",
        "",
        "同一阶段的资金支持在不同城市和层级的政策中并列比较：先看总览，再看每个阶段的逐条对照。"
        "各条的完整条件、原文和示例见链接的政策页面。",
        "",
        "## 总览",
        "",
        *table(
            ["文件", "状态", "层级", *(label for _, label in stages)],
            matrix,
            ["left", "left", "left", *["right"] * len(stages)],
        ),
    ]
    for key, label in stages:
        rows = []
        for d in docs:
            for c in d.policy.clauses:
                if any(s.id in (key, label) for s in c.stages):
                    reading = clause_reading(d.policy, c, inline_tables=True)
                    rows.append(
                        [inline(d.issuer), inline(d.status), d.link(c), inline(reading.sentence), maximum(d.entry(c))]
                    )
        if rows:
            lines += [
                "",
                f"## {label}",
                "",
                *table(
                    ["发文机关", "状态", "内容", "支持方式", "单次最高"],
                    rows,
                    ["left", "left", "left", "left", "right"],
                ),
            ]
    return "\n".join(lines) + "\n"
