"""`pol test --coverage`: the sides of conditions, the tiers, table rows and caps that no worked example exercises."""

from __future__ import annotations

import json

from conftest import POLICIES
from rich.console import Console

from pol.compiler.cli import main
from pol.compiler.cli.commands import Cli

POLICY = """policy p {
  title: "测试政策"
}
enum 类别 { 一类, 二类 }
input 类别: 类别
input 在本市: bool
input 收入: money
input 费用: money
clause 奖励 "一" {
  original: "测试"
  when 在本市
  grant tiers {
    收入 突破 10亿: 100万
    收入 突破 30亿: 300万
  }
  example "突破 10 亿" { 在本市 = true  收入 = 11亿  expect 100万 }
  example "不在本市" { 在本市 = false  收入 = 11亿  expect not_eligible }
}
clause 研发 "二" {
  original: "测试"
  grant 费用 × 40%
  cap by 类别 { 一类: 200万, 二类: 100万 } label "本类上限"
  example "一类，未到上限" { 类别 = 一类  费用 = 100万  expect 40万 }
}
"""


def run(argv: list[str]) -> tuple[int, str]:
    out = Console(record=True, width=300)
    code = main(argv, Cli(out, Console(record=True, width=300)))
    return code, out.export_text()


def test_the_sides_no_example_exercises_are_named(tmp_path) -> None:
    path = tmp_path / "p.pol"
    path.write_text(POLICY, encoding="utf-8")
    code, out = run(["test", str(path), "--coverage", "--format", "json"])
    assert code == 0
    [report] = json.loads(out)["coverage"]
    gaps = {c["clause"]: [g["what"] for g in c["gaps"]] for c in report["clauses"]}
    assert gaps["奖励"] == ["第2档“收入突破30亿元”", "未达到任何一档：收入突破10亿元"]
    assert gaps["研发"] == ["类别为二类的一行", "上限“本类上限”起作用"]
    assert (report["covered"], report["total"]) == (5, 9)  # 2 condition sides, 3 tier cases, 2 rows, 2 cap sides
    _, text = run(["test", str(path), "--coverage"])
    assert "研发 二  2/4  未覆盖：类别为二类的一行；上限“本类上限”起作用" in text


def test_every_bundled_policy_reports_its_coverage() -> None:
    code, out = run(["test", str(POLICIES), "--coverage", "--format", "json"])
    assert code == 0
    report = json.loads(out)["coverage"]
    assert len(report) == len(list(POLICIES.glob("*.pol")))
    assert all(0 <= p["covered"] <= p["total"] for p in report)
    assert sum(p["covered"] for p in report) > 0
    # Every threshold of the bundled policies is tried on both sides by a worked example.
    thresholds = {p["file"]: (p["thresholds"]["covered"], p["thresholds"]["total"]) for p in report}
    assert all(covered == total for covered, total in thresholds.values()), thresholds
    assert sum(total for _, total in thresholds.values()) >= 40


def test_a_threshold_tried_on_one_side_only_is_a_threshold_gap(tmp_path) -> None:
    path = tmp_path / "p.pol"
    path.write_text(
        POLICY.replace("  when 在本市\n  grant tiers", "  when 在本市 且 费用 100万元以上\n  grant tiers").replace(
            "收入 = 11亿  expect", "收入 = 11亿  费用 = 200万  expect"
        ),
        encoding="utf-8",
    )
    code, out = run(["test", str(path), "--coverage", "--format", "json"])
    assert code == 0, out
    [report] = json.loads(out)["coverage"]
    gaps = [g for c in report["clauses"] for g in c["gaps"] if g["kind"] == "threshold"]
    assert gaps == [{"kind": "threshold", "what": "条件“费用100万元以上”不成立"}]
    assert report["thresholds"] == {"covered": 1, "total": 2}
