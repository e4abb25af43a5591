"""The sample applicants in examples/, evaluated with `pol eval` against each policy, match hand calculations from the texts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from pol.compiler.cli import main

ROOT = Path(__file__).parent.parent
AS_OF = "2022-06-30"  # every policy below was in force on this date

# applicant/policy -> {clause: (status, amount or maximum)}, each worked out by hand from the original text.
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "drug_developer/yantai": {
        "创新药研发": ("granted", "20000000.00"),  # 1亿 × 40% = 4000万 > III期 一类 2000万
        "研发型企业房租补贴": ("granted", "300000.00"),  # 1200元 × min(650, 500)㎡ × 50%
    },
    "drug_developer/suzhou": {
        "重大专项配套资助": ("granted", "12000000.00"),  # 6000万 × 20%, under 2000万
        "进入临床试验资助": ("granted", "2500000.00"),  # entering phase III: 250万
        "完成临床研究资助": ("granted", "2000000.00"),  # 8000万 × 20% = 1600万 > phase II 200万
    },
    "drug_developer/jiangsu": {
        "创新产品产业化项目": ("discretionary", "30000000.00"),  # 1000万–3000万
        "一类创新药研发": ("discretionary", "30000000.00"),  # 化学药1类 完成II期: 最高 3000万
    },
    "device_maker/yantai": {
        "创新医疗器械研发": ("discretionary", "3000000.00"),  # 三类, clinical trial started: 最高 300万
        "设备投入补助": ("granted", "400000.00"),  # 800万 ≥ 500万(含): 800万 × 5%
    },
    "device_maker/suzhou": {
        "三类医疗器械研发资助": ("granted", "2400000.00"),  # 1200万 × 20%, under 300万
        "医疗器械产业化资助": ("granted", "5000000.00"),  # 总投资 9000万 in 5000万–1亿: 6000万 × 10% > 500万
        "境外上市资助": ("granted", "2000000.00"),  # 2 products × 100万
    },
    "device_maker/jiangsu": {
        "创新产品产业化项目": ("discretionary", "30000000.00"),
        "创新医疗器械特别审查": ("discretionary", "2000000.00"),
        "创新医疗器械首证生产": ("discretionary", "20000000.00"),
    },
    "cdmo_platform/yantai": {
        "平台设备资助": ("granted", "50000000.00"),  # 3.2亿 × 20% = 6400万 > 5000万
        "平台营收突破奖励": ("not_eligible", ""),  # exactly 3000万 has not 突破 3000万
        "委托双方资助": ("granted", "4500000.00"),  # 4500万 × 10% for each party
    },
    "cdmo_platform/suzhou": {
        "运营平台服务资助": ("granted", "3800000.00"),  # 3800万 × 10%, under 500万
        "委托生产受托方资助": ("discretionary", "5000000.00"),  # up to 7000万 × 10% = 700万 > 500万
    },
    "park/yantai": {
        "园区亩产税收奖励": ("granted", "24000000.00"),  # 2.4亿 / 300亩 = 80万/亩 (以上): 8万/亩 × 300亩
        "规上企业引进奖励": ("not_eligible", ""),  # exactly 2000万 has not 突破
        "项目引进奖励": ("granted", "100000.00"),  # 1.2亿 but equipment 4800万 < 5000万: first tier
        "制药企业引进奖励": ("granted", "100000.00"),
    },
    "foreign_rd_company/yantai": {
        "外资研发企业房租补贴": ("granted", "750000.00"),  # 800万美元: 1500元 × 500㎡ × 100%, under 100万
        "园区建设投资奖励": ("granted", "1200000.00"),  # 6000万 × 2% + 0 × 1%
    },
    "talent/yantai": {"高层次人才个税奖励": ("granted", "186000.00")},  # C类, year 2: 100% of 18.6万
    "talent/suzhou": {
        "领军人才项目资助": ("discretionary", "4000000.00"),  # 100~400万
        "领军人才安家补贴": ("discretionary", "2500000.00"),  # 100~250万
    },
    "talent/jiangsu": {"双创博士资金补助": ("granted", "150000.00")},
}


def evaluate(name: str, capsys: pytest.CaptureFixture[str]) -> dict:
    applicant, policy = name.split("/")
    facts = ROOT / "examples" / applicant / f"{policy}.json"
    code = main(["eval", str(ROOT / "policies" / f"{policy}.pol"), "--facts", str(facts), "--as-of", AS_OF, "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_applicant_gets_what_the_text_grants(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    got = {c["id"]: c for c in evaluate(name, capsys)["clauses"]}
    for clause, (status, amount) in EXPECTED[name].items():
        assert got[clause]["status"] == status, (clause, got[clause]["explanation"])
        if amount:
            assert got[clause]["max_amount"] == amount, (clause, got[clause]["explanation"])
    # Nothing else is granted or offered: every other clause lacks facts or conditions.
    others = {c for c, r in got.items() if r["status"] not in ("not_eligible", "needs_facts")} - set(EXPECTED[name])
    assert others == set()


def test_every_sample_file_is_checked() -> None:
    # Profiles (examples/profiles/) are checked in test_profiles.py.
    files = {
        f"{p.parent.name}/{p.stem}"
        for p in (ROOT / "examples").glob("*/*.json")
        if p.parent.name not in ("profiles", "compare")
    }
    assert files == set(EXPECTED)


def test_totals_are_the_sum_of_determined_amounts(capsys: pytest.CaptureFixture[str]) -> None:
    ev = evaluate("device_maker/suzhou", capsys)
    assert Decimal(ev["totals"]["determined"]) == Decimal("2400000") + Decimal("5000000") + Decimal("2000000")
