"""The citizens' website: clause readings, golden pages per clause kind, escaping, status, and `pol docs`."""

from __future__ import annotations

import datetime
import html
import os
import re
from decimal import Decimal
from pathlib import Path

import markdown
import pytest
from conftest import POLICIES, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from pol.compiler.check.validity import end_of_term, standing
from pol.compiler.cli import main
from pol.compiler.evaluate.examples import run_examples
from pol.compiler.evaluate.pipeline import compile_file, compile_text, load_evaluator, python_source
from pol.compiler.reading.markdown import escape, fence, inline
from pol.compiler.reading.prose import clause_reading
from pol.compiler.reading.provision import how_to_apply
from pol.compiler.site import paths
from pol.compiler.site.policy_page import PolicyPage

GOLDEN = Path(__file__).parent / "golden" / "site"
AS_OF = datetime.date(2026, 11, 22)
# The Markdown extensions the generated mkdocs.yml enables, so escaping is tested against the real parser.
EXTENSIONS = [
    "toc",
    "tables",
    "attr_list",
    "admonition",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "md_in_html",
]


def _page(name: str) -> PolicyPage:
    compiled = compile_file(POLICIES / f"{name}.pol")
    assert compiled.ok
    outcomes = run_examples(compiled.policy, load_evaluator(python_source(compiled)))
    return PolicyPage(compiled.policy, outcomes, AS_OF, name)


@pytest.fixture(scope="module")
def yantai_page() -> PolicyPage:
    return _page("yantai")


@pytest.fixture(scope="module")
def suzhou_page() -> PolicyPage:
    return _page("suzhou")


def _provision(page: PolicyPage, pid: str):
    return next(p for p in page.policy.provisions if p.id == pid)


# ---------------------------------------------------------------- readings checked by hand against the text


def test_rate_with_cap_reads_as_the_text_does(yantai_page) -> None:
    # 二(一)3: 按照单产品临床试验费用的 10% 予以临床试验机构支持，最高支持 200 万元。
    reading = clause_reading(yantai_page.policy, _provision(yantai_page, "临床试验机构支持"))
    assert reading.sentence == (
        "符合以下条件的机构：本市已备案的药物临床试验机构，且为本市企业开展创新药和创新医疗器械临床试验研究；"
        "按单产品临床试验费用的10%给予资金支持，最高不超过200万元（单产品最高支持）。"
    )
    assert reading.tables == []


def test_nested_tables_become_one_table_with_a_column_per_key(yantai_page) -> None:
    # 二(一)1: the stage caps by 临床阶段 and 新药类别, and the per-product caps by 新药类别.
    reading = clause_reading(yantai_page.policy, _provision(yantai_page, "创新药研发"))
    assert "按临床研发费用的40%给予资金支持" in reading.sentence
    assert "最高不超过表1所列本阶段上限" in reading.sentence
    assert "表2所列单品种累计上限余额（扣除该品种此前已获本条扶持资金后的余额）" in reading.sentence
    stage, total = reading.tables
    assert stage.header == ["临床阶段", "新药类别", "本阶段上限"]
    assert stage.rows == [
        ["I期", "一类新药", "200万元"],
        ["I期", "二类新药、生物类似药", "100万元"],
        ["II期", "一类新药", "800万元"],
        ["II期", "二类新药、生物类似药", "400万元"],
        ["III期", "一类新药", "2000万元"],
        ["III期", "二类新药、生物类似药", "1000万元"],
    ]
    assert total.rows == [["一类新药", "3000万元"], ["二类新药、生物类似药", "1500万元"]]


def test_tiers_and_topup(yantai_page) -> None:
    # 四(四): 首次突破 10 亿元、30 亿元、50 亿元 … 按照晋级补差原则分别给予 100 万元、300 万元、500 万元奖励。
    reading = clause_reading(yantai_page.policy, _provision(yantai_page, "销售收入晋级奖励"))
    assert reading.sentence == (
        "符合以下条件的企业：产品在本市生产；按表1所列金额给予资金支持，按晋级补差原则，扣除此前已获本条晋级奖励。"
    )
    (tiers,) = reading.tables
    assert tiers.header == ["档次", "条件", "金额"]
    assert tiers.rows == [
        ["第1档", "年销售收入突破10亿元", "100万元"],
        ["第2档", "年销售收入突破30亿元", "300万元"],
        ["第3档", "年销售收入突破50亿元", "500万元"],
    ]
    assert "同时符合多档的，按最高一档" in tiers.caption


def test_range_and_case_by_case(suzhou_page, yantai_page) -> None:
    talent = clause_reading(suzhou_page.policy, _provision(suzhou_page, "领军人才项目资助"))
    assert "给予100万元至400万元的资金支持，具体金额由主管部门审定" in talent.sentence
    drug = clause_reading(yantai_page.policy, _provision(yantai_page, "原创新药产业化一事一议"))
    assert drug.sentence.endswith("采取“一事一议”方式给予资金支持，最高不超过1亿元。")


def test_inline_tables_for_the_comparison_page(yantai_page) -> None:
    reading = clause_reading(yantai_page.policy, _provision(yantai_page, "销售收入晋级奖励"), inline_tables=True)
    assert reading.tables == []
    assert "分档确定（年销售收入突破10亿元的，100万元；" in reading.sentence


# ---------------------------------------------------------------- golden Markdown, a clause page of each kind

KINDS = {
    "rate_with_tables": ("yantai", "创新药研发"),
    "up_to": ("yantai", "创新医疗器械研发"),
    "up_to_by_table_with_offset": ("yantai", "落地生产扶持"),
    "tiers_with_topup": ("yantai", "销售收入晋级奖励"),
    "yearly_cap_and_duration": ("yantai", "研发型企业房租补贴"),
    "equity": ("yantai", "知识产权运营中心"),
    "case_by_case": ("yantai", "原创新药产业化一事一议"),
    "range": ("suzhou", "领军人才项目资助"),
}
# What the policy's overview says of a measure (all of it) and of a clause (in brief, linking to its page).
OVERVIEW = {"measure": ("yantai", "支持范围"), "clause_summary": ("yantai", "创新药研发")}


@pytest.mark.parametrize("kind", sorted(KINDS) + sorted(OVERVIEW))
def test_clause_markdown_matches_golden(kind: str, yantai_page, suzhou_page) -> None:
    # Regenerate with: POL_UPDATE_GOLDEN=1 python -m pytest tests/test_site.py
    policy, pid = KINDS.get(kind) or OVERVIEW[kind]
    page = yantai_page if policy == "yantai" else suzhou_page
    if kind in KINDS:
        text = page.clause_pages()[paths.clause_page(policy, pid)]
    else:
        text = "\n".join(page.provision(_provision(page, pid))) + "\n"
    golden = GOLDEN / f"{kind}.md"
    if os.environ.get("POL_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_example_box_shows_the_evaluators_result(yantai_page) -> None:
    text = "".join(yantai_page.clause_pages().values())
    boxes = text.count('!!! example "举例"')
    assert boxes == sum(len(c.examples) for c in yantai_page.policy.clauses)
    # The worked example of 二(一)1 at the stage cap, with the evaluator's steps.
    assert "结果：**应得 2000万元**" in text
    assert "4000万元 超过本阶段上限 2000万元，按 2000万元 计" in text


# ---------------------------------------------------------------- escaping

HOSTILE = [
    "<script>alert(1)</script>",
    "[点我](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '段落 {: onclick="alert(1)" }',
    "&lt;script&gt; &amp; &#60;",
    '??? note "假的折叠块"',
    '!!! danger "假的提示"',
    "# 假标题",
    "1. 假列表",
    "- 假列表",
    "> 假引用",
    "```python\nimport os\n```",
    "| a | b |",
    "*强调* _下划线_ `代码` **粗体**",
    "<http://example.com>",
    "\\*反斜杠\\*",
    "===",
    "---",
]


def _render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_exactly_its_characters(text: str) -> None:
    for line in text.split("\n"):
        out = _render(escape(line)) if line.strip() else ""
        if not line.strip():
            continue
        inner = re.fullmatch(r"<p>(.*)</p>", out, re.S)
        assert inner, out  # one plain paragraph, whatever the text held
        assert "<" not in inner.group(1)
        assert html.unescape(inner.group(1)) == line.strip()


@pytest.mark.parametrize("text", [t for t in HOSTILE if "\n" not in t])
def test_escaped_text_in_a_heading_gets_no_attributes(text: str) -> None:
    out = _render(f"## {inline(text)}")
    heading = re.fullmatch(r'<h2 id="[^"]*">(.*)</h2>', out, re.S)
    assert heading, out
    assert "<" not in heading.group(1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("<>&\"'`*_{}[]()#+-.!|?=~^:\\/ \t;1a") + ["临床", "万元", "&lt;", "http://"]),
        min_size=1,
        max_size=40,
    ).map("".join)
)
def test_escaping_holds_for_any_text(text: str) -> None:
    # Any mix of the characters Markdown and HTML give meaning to renders as plain text in one paragraph.
    line = inline(text)
    if not line.strip():
        return
    out = _render(line)
    inner = re.fullmatch(r"<p>(.*)</p>", out, re.S)
    assert inner, (text, line, out)
    assert "<" not in inner.group(1)
    assert html.unescape(inner.group(1)).replace(" ", "") == text.replace("\t", " ").strip().replace(" ", "")


def test_a_fence_cannot_be_closed_by_the_code_inside() -> None:
    code = 'original: """````\n</code><script>alert(1)</script>"""'
    out = _render("\n".join(fence(code, "pol")))
    assert "<script>" not in out
    assert "&lt;script&gt;" in out


# ---------------------------------------------------------------- status on a day


def test_status_on_a_day() -> None:
    jiangsu = {"status": "现行有效", "effective": datetime.date(2021, 11, 1), "expires": datetime.date(2024, 12, 31)}
    assert standing(jiangsu, datetime.date(2024, 12, 31)).label == "现行有效"  # the last day is still in force
    assert standing(jiangsu, datetime.date(2025, 1, 1)).label == "已失效（2024年12月31日到期）"
    assert standing(jiangsu, datetime.date(2021, 10, 31)).label == "尚未施行（2021年11月1日起施行）"
    assert standing(jiangsu, AS_OF).period == "2021年11月1日起至2024年12月31日"
    draft = {"status": "征求意见稿"}
    assert standing(draft, AS_OF).label == "征求意见稿"
    open_ended = {"status": "现行有效", "effective": datetime.date(2021, 7, 28)}
    assert standing(open_ended, AS_OF).period == "2021年7月28日起，原文未规定截止日期"
    termed = {"status": "现行有效", "effective": datetime.date(2021, 7, 28), "term": Decimal(3)}
    assert standing(termed, datetime.date(2024, 7, 27)).label == "现行有效"
    assert standing(termed, datetime.date(2024, 7, 28)).label == "已失效（2024年7月27日到期）"
    assert standing({"status": "现行有效", "term": Decimal(3)}, AS_OF).period == "有效期3年，原文未载明起始日期"
    assert end_of_term(datetime.date(2020, 2, 29), Decimal(1)) == datetime.date(2021, 2, 28)


# ---------------------------------------------------------------- pol docs


def _docs(out: Path, *extra: str) -> int:
    return main(
        [
            "docs",
            str(POLICIES),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            "--guide",
            str(ROOT / "docs" / "language.md"),
            *extra,
        ]
    )


def test_docs_writes_the_whole_project_deterministically(tmp_path: Path) -> None:
    assert _docs(tmp_path / "a") == 0
    assert _docs(tmp_path / "b") == 0
    files = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert "mkdocs.yml" in files and "docs/index.md" in files and "docs/guide/language.md" in files
    assert {f"docs/policies/{p.stem}/index.md" for p in POLICIES.glob("*.pol")} <= set(files)
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    config = (tmp_path / "a" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "language: zh" in config and "font: false" in config and "anchors: warn" in config


def test_docs_refuses_a_policy_whose_example_fails_and_keeps_the_old_site(tmp_path: Path, capsys) -> None:
    out = tmp_path / "site"
    assert _docs(out) == 0
    before = (out / "docs" / "index.md").read_bytes()
    bad = tmp_path / "bad.pol"
    bad.write_text(
        'policy p { title: "错例" }\ninput 费用: money\nclause 补助 "一" {\n  grant 费用 × 10%\n'
        '  example "算错了" { 费用 = 100万  expect 20万 }\n}\n',
        encoding="utf-8",
    )
    assert main(["docs", str(bad), "--out", str(out)]) == 2
    assert "example '算错了' of clause 补助 fails" in capsys.readouterr().err
    assert (out / "docs" / "index.md").read_bytes() == before


def test_docs_rejects_a_bad_date(tmp_path: Path, capsys) -> None:
    assert main(["docs", str(POLICIES), "--out", str(tmp_path), "--as-of", "2026-13-01"]) == 2
    assert "--as-of: '2026-13-01' is not a date" in capsys.readouterr().err


def test_policy_text_cannot_inject_markup_into_a_page() -> None:
    source = '''policy p { title: "<script>alert(1)</script>" issuer: "[x](javascript:alert(1))" }
input 费用: money "<b>费用</b>"
clause 补助 "一 <i>" {
  title: "{: onclick=\\"alert(1)\\" }"
  original: """<script>alert(2)</script>
??? note "x"
[点我](javascript:alert(3))"""
  note: "<img src=x onerror=alert(4)>"
  grant 费用 × 10%
  example "<script>alert(5)</script>" { 费用 = 100万  expect 10万 }
}
'''
    compiled = compile_text(source, "hostile.pol")
    assert compiled.ok, compiled.diagnostics
    outcomes = run_examples(compiled.policy, load_evaluator(python_source(compiled)))
    page = PolicyPage(compiled.policy, outcomes, AS_OF, "hostile")
    body = _render(page.render() + "".join(page.clause_pages().values()))
    assert "<script" not in body and "<img" not in body and "<b>" not in body and "<i>" not in body
    assert "javascript:" not in re.sub(r">[^<]*<", "><", body)  # only in text, never in an attribute
    assert "onclick" not in re.sub(r">[^<]*<", "><", body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# ---------------------------------------------------------------- pages across policies


@pytest.fixture(scope="module")
def docs():
    from pol.compiler.site.indexes import documents

    items = []
    for name in ("jiangsu", "suzhou", "yantai"):
        compiled = compile_file(POLICIES / f"{name}.pol")
        items.append((name, compiled.policy))
    return documents(items)


def _section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_index_by_stage_lists_clauses_and_measures(docs) -> None:
    from pol.compiler.site.indexes import by_stage

    clinical = _section(by_stage(docs), "临床试验")
    assert "[支持开展临床试验](policies/yantai/临床试验机构支持.md)" in clinical
    assert "[新药进入临床试验阶段一次性资助](policies/suzhou/进入临床试验资助.md)" in clinical
    assert "[临床资源](policies/suzhou/index.md#临床资源)" in clinical  # a measure, 第九条
    assert "落地生产扶持" not in clinical


def test_index_by_beneficiary(docs) -> None:
    from pol.compiler.site.indexes import by_beneficiary

    parks = _section(by_beneficiary(docs), "园区")
    assert "policies/yantai/园区亩产税收奖励.md" in parks and "policies/yantai/创新药研发.md" not in parks


def test_largest_grants_are_in_descending_order(docs) -> None:
    from pol.compiler.site.indexes import largest

    rows = [line for line in largest(docs).splitlines() if re.match(r"\| \d+ \|", line)]
    # 一事一议 with a stated maximum of 1亿元: Yantai 十(二) 原创新药, Jiangsu 21 顶尖人才.
    assert "1亿元" in rows[0] and "1亿元" in rows[1]
    assert {"原创新药产业化一事一议", "顶尖人才项目资助"} == {re.search(r"/(\w+)\.md\)", r).group(1) for r in rows[:2]}
    assert "6000万元" in rows[2]  # Suzhou 第十九条 地区总部, 实收资本的1%~3%, 最高6000万元


def test_comparison_matrix_counts_clauses_by_stage(docs) -> None:
    from pol.compiler.site.indexes import compare

    yantai = next(line for line in compare(docs).splitlines() if "(policies/yantai/index.md)" in line)
    cells = [c.strip() for c in yantai.strip("|").split("|")]
    # 临床试验: 二(一)1 (stage cap 2000万元), 二(一)2 (300万元), 二(一)3 (200万元).
    assert cells[1] == "现行有效" and cells[4] == "3 项资金，最高 2000万元"


def test_finder_pages_list_policies_in_force_apart_from_the_rest() -> None:
    import datetime

    from pol.compiler.site.indexes import by_stage, compare, documents, largest

    items = [(n, compile_file(POLICIES / f"{n}.pol").policy) for n in ("jiangsu", "suzhou", "yantai")]
    docs = documents(items, datetime.date(2026, 11, 22))  # Jiangsu expired on 2024-12-31
    stage = by_stage(docs)
    current, _, rest = stage.partition("\n## 已失效、尚未施行或征求意见稿的政策\n")
    assert "policies/jiangsu/" not in current and "policies/yantai/" in current
    assert "| 已失效（2024年12月31日到期） |" in rest and "policies/jiangsu/一类创新药研发.md" in rest
    ranking = largest(docs)
    assert "policies/jiangsu/" not in ranking and "不参与排名" in ranking
    assert "| 已失效（2024年12月31日到期） |" in compare(docs)


def test_a_comparison_for_another_day_says_so_at_its_top(tmp_path) -> None:
    project = ROOT / "examples" / "compare" / "class1_drug_phase3.json"  # computed as of 2022-06-30
    # Without --as-of the site is judged today, and the project keeps its own day.
    assert main(["docs", str(POLICIES), "--out", str(tmp_path / "site"), "--compare", str(project)]) == 0
    page = (tmp_path / "site" / "docs" / "compare" / "class1_drug_phase3.md").read_text(encoding="utf-8")
    assert '!!! warning "计算日期不同"' in page.split("\n## ")[0]
    assert f"本对比按 2022-06-30 有效的条款计算，不是本站其他页面所用的 {datetime.date.today().isoformat()}" in page
    # With --as-of the comparison is computed for the site's day, and says nothing.
    assert (
        main(
            ["docs", str(POLICIES), "--out", str(tmp_path / "site"), "--as-of", "2026-11-22", "--compare", str(project)]
        )
        == 0
    )
    page = (tmp_path / "site" / "docs" / "compare" / "class1_drug_phase3.md").read_text(encoding="utf-8")
    assert "计算日期不同" not in page


def test_limit_lines_say_their_scope_once_and_what_they_are_net_of(tmp_path) -> None:
    from pol.compiler.cli import main

    assert main(["docs", str(POLICIES / "suzhou.pol"), str(POLICIES / "jiangsu.pol"), "--out", str(tmp_path)]) == 0
    suzhou = (tmp_path / "docs" / "policies" / "suzhou" / "index.md").read_text(encoding="utf-8")
    jiangsu = (tmp_path / "docs" / "policies" / "jiangsu" / "index.md").read_text(encoding="utf-8")
    assert (
        "本文件各条款：单个企业每年资助总额最高不超过8000万元（扣除本企业本年度已获本文件各条资助合计后的余额）（第五条）"
        in suzhou
    )
    assert "每个单位每年累计支持额度最高不超过1亿元（扣除本单位本年度已获第 5 条支持的累计额后的余额）" in jiangsu
    for page in (suzhou, jiangsu):
        assert "单个企业每年单个企业每年" not in page and "单个企业每年每个单位" not in page
        assert "万元 － " not in page


def test_a_clause_carries_the_other_spellings_of_its_terms_for_search() -> None:
    from pol.compiler.site.search import aliases

    terms = aliases("完成III期临床试验备案，按实际租金的50%补助")
    assert {"三期", "房租", "补贴", "资助"} <= set(terms)
    assert not {"租金", "II期", "I期", "二期", "一期"} & set(terms)  # printed alone; II期 is not inside III期
    terms = aliases("首台（套）装备，房租补贴与租金")
    assert "首台套" in terms and not {"房租", "租金"} & set(terms)  # both printed alone: nothing to add
    # A word inside a longer one jieba keeps whole is indexed too, with its group: 保险 in 责任保险.
    assert {"保险", "保费"} <= set(aliases("购买首台套责任保险"))
    assert "技改" in aliases("实施技术改造项目")


def test_each_clause_says_how_to_apply_and_what_the_text_leaves_unsaid(yantai_page, suzhou_page) -> None:
    box = how_to_apply(yantai_page.policy, _provision(yantai_page, "项目引进奖励"))
    assert "- 申报材料：全额投资证明" in box  # the clause's own: 提供全额投资证明后
    # The document's: its lead departments write the detailed rules.
    assert any(line.startswith("- 申报程序：责任部门列第一位的为牵头部门") for line in box)
    assert "- 申报时间：原文未规定，请咨询市市场监管局" in box  # silent: ask the clause's lead department
    assert "- 受理部门：市市场监管局（牵头单位）" in box
    # Suzhou says how grants are decided for every article, and names no lead per clause.
    box = how_to_apply(suzhou_page.policy, _provision(suzhou_page, "重大专项配套资助"))
    assert any(line.startswith("- 申报程序：经苏州市推进生物医药产业集聚发展领导小组认定后") for line in box)
    assert "- 申报材料：原文未规定，请咨询市科技局" in box
    # Every clause's page has the section.
    assert all(
        '\n## 如何申请 {#如何申请 data-search-exclude=""}\n' in text for text in yantai_page.clause_pages().values()
    )


def test_application_items_belong_to_clauses() -> None:
    source = 'policy p { title: "t" url: "https://example.gov.cn/p.html" }\n'
    compiled = compile_text(source + 'measure m "一" { 申报材料: "营业执照" }\n', "p.pol")
    assert [d.code for d in compiled.diagnostics] == ["POL104"]
    compiled = compile_text(
        source + 'input 费用: money\nclause c "一" { 联系方式: "0535-1234567"  grant 费用 × 10% }\n', "p.pol"
    )
    assert compiled.ok
    box = how_to_apply(compiled.policy, compiled.policy.clauses[0])
    assert "- 联系方式：0535\\-1234567" in box  # escaped for Markdown
    assert "- 申报材料：原文未规定，请咨询发文机关" in box  # no lead, no office, no issuer named
    assert '- 政策原文：<a href="https://example.gov.cn/p.html">https://example\\.gov\\.cn/p\\.html</a>' in box
