"""The evaluator runtime: exact money, rounding, formatting and facts validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_SPECS = [
    rt.Input("金额", "money", "CNY", None, "金额"),
    rt.Input("美元", "money", "USD", None, "美元"),
    rt.Input("面积", "area", None, "m2", "面积"),
    rt.Input("亩数", "area", None, "mu", "亩数"),
    rt.Input("比例", "ratio", None, None, "比例"),
    rt.Input("年限", "years", None, None, "年限"),
    rt.Input("个数", "number", None, None, "个数"),
    rt.Input("阶段", "enum", None, None, "阶段", ("I期", "II期", "Ⅲ期", "三期")),
    rt.Input("是否", "bool", None, None, "是否"),
]
_PIECES = st.sampled_from(
    [
        "0",
        "1",
        "3",
        "9",
        "00",
        ".",
        "5",
        "万",
        "亿",
        "千万",
        "元",
        "美元",
        "%",
        "％",
        "平方米",
        "㎡",
        "m2",
        "亩",
        "年",
        "-",
        " ",
        ",",
        "３",
        "I期",
        "II期",
        "Ⅲ期",
        "三期",
        "是",
        "否",
    ]
)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(
    spec=st.sampled_from(_SPECS),
    raw=st.one_of(
        st.lists(_PIECES, max_size=6).map("".join), st.booleans(), st.text(max_size=8), st.just("1" * 80 + "万")
    ),
)
def test_the_fast_reading_of_facts_gives_what_the_general_one_gives(spec, raw) -> None:
    def outcome(read):
        try:
            return "ok", read(spec, raw)
        except ValueError as exc:
            return "error", str(exc)

    assert outcome(rt.read_fact) == outcome(rt.read_general), (spec.name, raw)


@settings(max_examples=400, deadline=None)
@given(n=st.integers(0, 10**12 - 1), style=st.sampled_from(["low", "up"]))
def test_chinese_numerals_are_read_as_cn2an_writes_them(n, style) -> None:
    import re

    import cn2an

    written = cn2an.an2cn(n, style)
    assert re.fullmatch(rt.CN_NUMBER, written)
    assert rt.cn_number(written) == n


def test_facts_are_read_as_people_write_them() -> None:
    money = rt.Input("m", "money", "CNY", None, "研发费用")
    ratio = rt.Input("r", "ratio", None, None, "比例")
    same = {
        Decimal(30_000_000): ["3000万", "3,000万元", "３０００万", "三千万", "叁仟万元", "三千萬", "0.3亿"],
        Decimal(15_000_000): ["1500万", "一千五百万元", "1.5千万", "壹仟伍佰萬元"],
        Decimal(150_000_000): ["一亿五千万", "1.5億元", "一点五亿"],
    }
    for value, forms in same.items():
        assert {form: rt.read_fact(money, form) for form in forms} == dict.fromkeys(forms, value)
    assert rt.read_fact(ratio, "百分之四十") == rt.read_fact(ratio, "40%") == Decimal("0.4")
    assert rt.read_fact(ratio, "百分之十二点五") == Decimal("0.125")
    for refused in ("万", "三三万", "零.5万", "百分之四十万"):
        with pytest.raises(ValueError):
            rt.read_fact(money, refused)
