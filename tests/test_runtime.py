"""The evaluator runtime: exact money, rounding, formatting and facts validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pol.compiler import runtime as rt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("30000000", "3000万元"),
        ("100000000", "1亿元"),
        ("150000000", "1.5亿元"),
        ("225000", "22.5万元"),
        ("1234.56", "1234.56元"),
        ("0", "0元"),
        ("12345678.9", "12345678.9元"),
        ("5000.25", "5000.25元"),
    ],
)
def test_format_money(value, text) -> None:
    assert rt.format_money(Decimal(value)) == text


def test_rounding_is_half_up_to_the_fen_once_at_the_end() -> None:
    clause = rt.Clause("c", None, None, None, None, 1)
    assert rt.finish(clause, rt.Trace(), "exact", Decimal("4999.995")).amount == Decimal("5000.00")
    assert rt.finish(clause, rt.Trace(), "exact", Decimal("4999.9949")).amount == Decimal("4999.99")
    assert rt.finish(clause, rt.Trace(), "exact", Decimal("0.005")).amount == Decimal("0.01")


def test_arithmetic_is_exact_where_floats_are_not() -> None:
    t = rt.Trace()
    with rt.exact():
        # 0.1 + 0.2 style drift never happens: 19,999,999.99 stays below 20,000,000.
        total = t.add(Decimal("19999999.90"), Decimal("0.09"), (None, None), (None, None), ("money", "CNY", None))
    assert total == Decimal("19999999.99") and total < Decimal("20000000")


def test_python_floats_are_refused_so_amounts_stay_exact() -> None:
    spec = {"x": rt.Input("x", "money", "CNY", None, "金额")}
    with pytest.raises(rt.FactsError) as exc:
        rt.read_facts(spec, {"x": 0.1})
    assert "binary float" in exc.value.problems[0]


def test_read_facts_accepts_units_and_checks_currency() -> None:
    spec = {
        "usd": rt.Input("usd", "money", "USD", None, "实缴注册资金"),
        "mu": rt.Input("mu", "money_per_area", "CNY", "mu", "单价"),
    }
    assert rt.read_facts(spec, {"usd": "500万美元", "mu": "3万元/亩"}) == {
        "usd": Decimal(5_000_000),
        "mu": Decimal(30_000),
    }
    with pytest.raises(rt.FactsError) as exc:
        rt.read_facts(spec, {"usd": "500万元"})
    assert exc.value.problems == [
        "usd (实缴注册资金): expected an amount in 美元, such as \"3000万美元\", got '500万元' in 元"
    ]


def test_parse_quantity_text() -> None:
    assert rt.parse_quantity_text("1.5亿") == (Decimal("150000000.0"), "money", "CNY", None)
    assert rt.parse_quantity_text("40%") == (Decimal("0.4"), "ratio", None, None)
    with pytest.raises(ValueError, match="unknown unit"):
        rt.parse_quantity_text("5欧元")
