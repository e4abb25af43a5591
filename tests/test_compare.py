"""One project under several policies side by side: amounts checked by hand against the original texts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import POLICIES, ROOT

from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file
from pol.compiler.ledger.compare import compare
from pol.compiler.ledger.policies import ProfileError, load_policies
from pol.compiler.site.comparison import comparison_page

PROJECT = ROOT / "examples" / "compare" / "class1_drug_phase3.json"
WAN = Decimal(10_000)


@pytest.fixture(scope="module")
def policies():
    compiled = [compile_file(POLICIES / f"{key}.pol") for key in ("yantai", "suzhou", "jiangsu")]
    assert all(c.ok for c in compiled)
    return load_policies(compiled)


def _raw():
    return json.loads(PROJECT.read_text(encoding="utf-8"))


def test_class1_drug_phase3_across_two_cities_and_a_province(policies) -> None:
    comp = compare(_raw(), policies)
    assert [c.label for c in comp.columns] == ["烟台市（市级）", "苏州市（市级）", "江苏省（省级）"]
    yantai, suzhou, jiangsu = comp.columns
    clinical = {
        c.policy.key: [(x.clause.id, x.result.status, x.value / WAN) for x in c.cells("新药临床研究")]
        for c in comp.columns
    }
    # 烟台 二(一)1: 单品种临床研发费用 5000万 × 40% = 2000万, within III 期's 最高不超过2000万 for 一类新药.
    assert clinical["yantai"] == [("创新药研发", "granted", 2000)]
    # 苏州 第六条: 进入 III 期 一次性 250万; 完成 II 期 再按研发费用 8000万 × 20% = 1600万, 最高 200万.
    assert clinical["suzhou"] == [("进入临床试验资助", "granted", 250), ("完成临床研究资助", "granted", 200)]
    # 江苏 5: 一类创新药 按不同研发阶段 择优给予最高3000万元 — a maximum, not a determined amount.
    assert clinical["jiangsu"] == [("一类创新药研发", "discretionary", 3000)]
    assert comp.best("新药临床研究") == 3000 * WAN
    assert comp.rows == ["新药临床研究", "产品产业化"]
    assert (yantai.evaluation.determined, suzhou.evaluation.determined) == (2000 * WAN, 450 * WAN)
    # 江苏 5 also offers 产业化项目 1000万–3000万 for a drug that 完成II期并启动III期: 3000万 + 3000万.
    assert jiangsu.evaluation.maximum == 6000 * WAN
    assert [(x.text, n) for x, n in suzhou.shown("产品产业化")][0] == (
        "尚缺：取得药品注册批件并在苏州产业化、项目总投资",
        2,
    )


def test_project_problems_are_named_by_their_place(policies) -> None:
    raw = _raw()
    raw["colour"] = "red"
    raw["policies"]["yantai"]["临床费用"] = "1万"
    raw["policies"]["nowhere"] = {}
    with pytest.raises(ProfileError) as err:
        compare(raw, policies)
    assert err.value.problems == [
        "colour: not a field of a project (project, description, as_of, facts, policies)",
        "policies.yantai.临床费用: yantai has no input of that name",
        "policies.nowhere: not one of the policies compared (yantai, suzhou, jiangsu)",
    ]
    raw = _raw()
    raw["policies"]["yantai"]["临床研发费用"] = "5000万美元"
    with pytest.raises(ProfileError) as err:
        compare(raw, policies)
    assert err.value.problems[0].startswith("yantai: 临床研发费用 (本阶段单品种临床研发费用): expected an amount in 元")


def test_page_links_each_amount_to_its_clause(policies) -> None:
    page = comparison_page(compare(_raw(), policies), {k: k for k in policies})
    assert "| 新药临床研究 | 应得 2000万元（[二\\(一\\)1](../policies/yantai/创新药研发.md)） |" in page
    assert "**最高 3000万元**（[5](../policies/jiangsu/一类创新药研发.md)）" in page
    assert "    - 该产品实际研发费用 8000万元 × 20% = 1600万元" in page
    plain = comparison_page(compare(_raw(), policies))
    assert "](" not in plain and "应得 2000万元（二\\(一\\)1）" in plain


def test_compare_command_prints_a_table_and_writes_the_page(tmp_path, capsys) -> None:
    out = tmp_path / "cmp.md"
    args = [
        "compare",
        str(PROJECT),
        "--policies",
        *(str(POLICIES / f"{k}.pol") for k in ("yantai", "suzhou", "jiangsu")),
    ]
    assert main([*args, "--markdown", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "烟台市（市级）" in printed and "新药临床研究" in printed
    assert out.read_text(encoding="utf-8").startswith("# 一类新药进入 III 期临床试验\n")
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["determined"] for p in data["policies"]] == ["20000000.00", "4500000.00", "0.00"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"as_of": "2022-02-30"}', encoding="utf-8")
    assert main(["compare", str(bad), "--policies", str(POLICIES / "yantai.pol")]) == 2
    assert "as_of: expected a date such as 2022-06-30, got '2022-02-30'" in capsys.readouterr().err
