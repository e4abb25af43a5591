"""`pol diff OLD NEW`: a revision's header fields, clauses added, removed and changed, and examples' outcomes."""

from __future__ import annotations

import json
import re

from conftest import POLICIES
from rich.console import Console

from pol.compiler.cli import main
from pol.compiler.cli.commands import Cli


def run(argv: list[str]) -> tuple[int, str]:
    out = Console(record=True, width=2000)
    code = main(argv, Cli(out, Console(record=True, width=200)))
    return code, out.export_text()


def test_a_revision_is_read_clause_by_clause_with_its_effect_on_the_examples(tmp_path) -> None:
    old = POLICIES / "yantai.pol"
    text = old.read_text(encoding="utf-8")
    revised = text.replace("grant 临床研发费用 × 40%", "grant 临床研发费用 × 30%", 1)
    revised = revised.replace("  effective: 2021-07-28", "  effective: 2022-01-01", 1)
    # The last clause dropped, and a new one added at the end.
    last = revised.rindex("\nclause ")
    dropped = re.match(r"\nclause (\S+)", revised[last:]).group(1)
    revised = revised[:last] + '\nclause 新增奖励 "十一" {\n  original: "新增"\n  grant 10万\n}\n'
    new = tmp_path / "yantai_revised.pol"
    new.write_text(revised, encoding="utf-8")

    code, out = run(["diff", str(old), str(new), "--format", "json"])
    assert code == 0
    result = json.loads(out)
    assert {"field": "施行日期", "before": "2021-07-28", "after": "2022-01-01"} in result["header"]
    by_id = {c["clause"]: c for c in result["clauses"]}
    assert by_id[dropped]["kind"] == "removed" and by_id["新增奖励"]["kind"] == "added"
    changed = by_id["创新药研发"]
    assert changed["kind"] == "changed" and "40%" in changed["before"] and "30%" in changed["after"]
    assert {
        "example": "一类新药 I 期，费用 400 万元，未触上限",
        "before": "应得 160万元",
        "after": "应得 120万元",
    } in changed["effects"]
    untouched = {c["clause"] for c in result["clauses"]}
    assert "研发型企业房租补贴" not in untouched  # clauses that did not change are not listed

    code, text_out = run(["diff", str(old), str(new)])
    assert "修改条款 创新药研发（二(一)1）" in text_out
    assert "算例“一类新药 I 期，费用 400 万元，未触上限”：应得 160万元 → 应得 120万元" in text_out


def test_two_identical_versions_say_so() -> None:
    code, out = run(["diff", str(POLICIES / "suzhou.pol"), str(POLICIES / "suzhou.pol")])
    assert code == 0 and "两个版本的规则相同" in out


def _final_of_the_draft() -> str:
    """聊城's draft as if issued: in force, declaring the draft it supersedes, 国家级 质量标杆 cut to 80万."""
    text = (POLICIES / "liaocheng_draft.pol").read_text(encoding="utf-8")
    for old, new in (
        ("policy 聊城生物医药若干措施征求意见稿 {", "policy 聊城生物医药若干措施 {"),
        ('（征求意见稿）"', '"\n  supersedes: "liaocheng_draft"\n  effective: 2023-06-01'),
        ("status: draft", "status: in_force"),
        ("by 首次获得质量标杆级别 { 国家级: 100万", "by 首次获得质量标杆级别 { 国家级: 80万"),
        (
            '"国家级" { 首次获得质量标杆级别 = 国家级  expect up to 100万',
            '"国家级" { 首次获得质量标杆级别 = 国家级  expect up to 80万',
        ),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_a_policy_that_supersedes_another_gets_a_revision_page(tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "liaocheng_draft.pol").write_bytes((POLICIES / "liaocheng_draft.pol").read_bytes())
    (src / "liaocheng.pol").write_text(_final_of_the_draft(), encoding="utf-8")
    code, _ = run(["docs", str(src), "--out", str(tmp_path / "site"), "--as-of", "2024-01-01"])
    assert code == 0
    page = (tmp_path / "site" / "docs" / "revisions" / "liaocheng.md").read_text(encoding="utf-8")
    assert page.startswith("# 修订对照：关于支持生物医药产业高质量发展的若干措施\n")
    assert "| 状态 | 征求意见稿 | 现行有效 |" in page
    assert "## 修改：质量标杆奖励（9）" in page
    assert "| 国家级 | 最高 100万元（金额由主管部门确定） | 最高 80万元（金额由主管部门确定） |" in page
    assert page.count("## ") == 2  # the header and the one clause changed; nothing else differs
    policy_page = (tmp_path / "site" / "docs" / "policies" / "liaocheng" / "index.md").read_text(encoding="utf-8")
    assert "[修订对照](../../revisions/liaocheng.md)" in policy_page
    assert '"修订对照":' in (tmp_path / "site" / "mkdocs.yml").read_text(encoding="utf-8")


def test_superseding_a_policy_the_site_does_not_hold_is_refused(tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "liaocheng.pol").write_text(_final_of_the_draft(), encoding="utf-8")
    out, err_console = Console(record=True, width=2000), Console(record=True, width=2000)
    code = main(["docs", str(src), "--out", str(tmp_path / "site")], Cli(out, err_console))
    err = err_console.export_text()
    assert code != 0
    assert "supersedes 'liaocheng_draft', but no liaocheng_draft.pol is among the policies of the site" in err
    assert not (tmp_path / "site").exists()


def test_a_change_in_definitions_limits_or_defaults_is_a_change(tmp_path) -> None:
    # The readings stay the same; what is computed does not: a definition doubled, a yearly limit lowered from
    # 150万 to 50万, a default changed. None of these is "the same rules".
    base = """policy p { title: "t" }
input 面积: area(亩)
input 税收: money
input 本年已获: money default 0
let 亩产 = 税收 / 面积 "年亩产税收"
clause a "一" {
  when 亩产 50万元/亩 以上
  grant 10万
}
clause b "二" { grant 税收 × 10% }
limit 150万 - 本年已获 per year
"""
    old, new = tmp_path / "old.pol", tmp_path / "new.pol"
    old.write_text(base, encoding="utf-8")
    changed = (
        base.replace("let 亩产 = 税收 / 面积", "let 亩产 = 税收 × 2 / 面积")
        .replace("limit 150万", "limit 50万")
        .replace("input 本年已获: money default 0", "input 本年已获: money default 10万")
    )
    new.write_text(changed, encoding="utf-8")
    code, out = run(["diff", str(old), str(new)])
    assert code == 0
    assert "两个版本的规则相同" not in out
    assert "定义“亩产”" in out and "默认值" in out and "文件限额" in out and "150万元" in out and "50万元" in out
    assert "修改条款 a" in out  # it reads 亩产, whose meaning changed
    code, same = run(["diff", str(old), str(old)])
    assert "两个版本的规则相同" in same
