"""The Yantai 附件3 clauses, evaluated against amounts computed by hand from the original text."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pol.compiler.evaluate.examples import run_examples

AS_OF = datetime.date(2022, 1, 1)


def amount(module, clause, **facts):
    r = module.evaluate(facts, as_of=AS_OF, clauses={clause}).results[0]
    return r.status, r.amount


def test_worked_examples_in_the_policy_all_pass(yantai, yantai_module) -> None:
    outcomes = run_examples(yantai.policy, yantai_module)
    assert len(outcomes) >= 20
    assert [o.example.name for o in outcomes if not o.passed] == []


def test_innovative_drug_trace_reads_like_the_issue(yantai_module) -> None:
    # 一类新药 III 期: 1亿 × 40% = 4000万, capped at the phase-III maximum of 2000万.
    r = yantai_module.evaluate(
        {"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "1亿"}, as_of=AS_OF, clauses={"创新药研发"}
    ).results[0]
    assert r.status == "granted"
    assert r.amount == Decimal("20000000.00")
    assert r.explanation == [
        "临床研发费用 1亿元 × 40% = 4000万元",
        "4000万元 超过本阶段上限 2000万元，按 2000万元 计",
        "应得 2000万元",
    ]


@pytest.mark.parametrize(
    ("capital", "status", "expected"),
    [
        ("2000万", "granted", Decimal("150000.00")),  # 以上 includes the number itself
        ("19999999.99", "not_eligible", None),
        ("20000000.01", "granted", Decimal("150000.00")),
    ],
)
def test_rent_subsidy_threshold_is_inclusive(yantai_module, capital, status, expected) -> None:
    got = amount(
        yantai_module,
        "研发型企业房租补贴",
        企业类型="研发型企业",
        实缴注册资本=capital,
        固定资产投资="1000万",
        租金单价="600元/平方米",
        租赁面积="800平方米",
    )
    assert got == (status, expected)


def test_rent_subsidy_rounds_to_the_fen_half_up(yantai_module) -> None:
    # 33.335 元/m² × 300 m² × 50% = 5000.25 exactly; 33.3333 × 300 × 50% = 4999.995 → 5000.00 (half up).
    assert amount(
        yantai_module,
        "研发型企业房租补贴",
        企业类型="研发型企业",
        实缴注册资本="2000万",
        固定资产投资="1000万",
        租金单价=Decimal("33.3333"),
        租赁面积=300,
    ) == ("granted", Decimal("5000.00"))


@pytest.mark.parametrize(
    ("revenue", "paid", "expected"),
    [
        ("10亿", "0", None),
        ("1000000000.01", "0", Decimal("1000000.00")),
        ("31亿", "100万", Decimal("2000000.00")),
        ("31亿", "300万", Decimal("0.00")),
        ("60亿", "100万", Decimal("4000000.00")),
    ],
)
def test_sales_top_up(yantai_module, revenue, paid, expected) -> None:
    status, got = amount(yantai_module, "销售收入晋级奖励", 产品在本市生产=True, 年销售收入=revenue, 已获晋级奖励=paid)
    assert got == expected
    assert status == ("not_eligible" if expected is None else "granted")


@pytest.mark.parametrize(
    ("year", "revenue", "paid", "expected"),
    [
        (1, "2亿", "0", Decimal("6000000.00")),
        (2, "2亿", "600万", Decimal("4000000.00")),
        (3, "3亿", "900万", Decimal("1000000.00")),
        (3, "5亿", "900万", Decimal("1000000.00")),
    ],
)
def test_three_year_schedule_with_cumulative_cap(yantai_module, year, revenue, paid, expected) -> None:
    got = amount(
        yantai_module,
        "委托生产销售奖励",
        委托本市企业生产=True,
        销售税收在本市结算=True,
        销售年度=year,
        年销售收入=revenue,
        已获委托生产奖励=paid,
    )
    assert got == ("granted", expected)


@pytest.mark.parametrize(
    ("tax", "area", "expected"),
    [
        ("5000万", 100, Decimal("3000000.00")),
        ("9999万", 100, Decimal("8000000.00")),
        ("1亿", 100, Decimal("10000000.00")),
        ("1亿", "80亩", Decimal("8000000.00")),
    ],
)
def test_park_tiers_per_mu(yantai_module, tax, area, expected) -> None:
    assert amount(yantai_module, "园区亩产税收奖励", 园区经财政部门认定=True, 园区年税收=tax, 园区面积=area) == (
        "granted",
        expected,
    )


def test_missing_facts_are_named(yantai_module) -> None:
    r = yantai_module.evaluate({"企业类型": "研发型企业"}, as_of=AS_OF, clauses={"研发型企业房租补贴"}).results[0]
    assert r.status == "needs_facts"
    assert r.missing == ("固定资产投资", "实缴注册资本")


def test_a_false_condition_decides_even_when_other_facts_are_missing(yantai_module) -> None:
    r = yantai_module.evaluate({"企业类型": "工业企业"}, as_of=AS_OF, clauses={"研发型企业房租补贴"}).results[0]
    assert r.status == "not_eligible"


def test_policy_not_yet_in_force(yantai_module) -> None:
    ev = yantai_module.evaluate({}, as_of=datetime.date(2021, 1, 1))
    assert {r.status for r in ev.results} == {"not_yet_effective"}
    assert ev.to_json()["clauses"][0]["status"] == "not_yet_effective"
    assert "尚未施行" in ev.results[0].explanation[0]


def test_totals_add_determined_amounts(yantai_module) -> None:
    ev = yantai_module.evaluate(
        {
            "新药类别": "一类新药",
            "临床阶段": "I期",
            "临床研发费用": "400万",
            "产品在本市生产": True,
            "年销售收入": "12亿",
        },
        as_of=AS_OF,
    )
    assert ev.determined == Decimal("2600000.00")  # 160万 + 100万
