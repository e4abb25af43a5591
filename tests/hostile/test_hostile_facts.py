"""Hostile and unusual facts, profiles and projects: each is refused with exit 2 naming the field, or read as
people mean it; none hangs, ends in an internal error or pays a silent wrong amount."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT

from pol.compiler import runtime as rt
from pol.compiler.cli import main

YANTAI = str(POLICIES / "yantai.pol")
DRUG = {"新药类别": "一类新药", "临床阶段": "III期"}


def _eval(tmp_path: Path, text: str, *extra: str) -> list[str]:
    facts = tmp_path / "facts.json"
    facts.write_text(text, encoding="utf-8")
    return ["eval", YANTAI, "--facts", str(facts), *extra]


def _json_out(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_a_field_given_twice_is_refused_not_silently_replaced(tmp_path, capsys) -> None:
    text = '{"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "1亿", "临床研发费用": "100万"}'
    assert main(_eval(tmp_path, text)) == 2
    assert "the field 临床研发费用 is given twice" in capsys.readouterr().err
    profile = tmp_path / "profile.json"
    profile.write_text('{"enterprise": "甲", "facts": {}, "facts": {}}', encoding="utf-8")
    assert main(["match", str(profile), "--policies", YANTAI]) == 2
    assert "the field facts is given twice" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value, message",
    [
        ("1E-999999999", "out of range"),
        ("1E-10000000", "out of range"),
        ("1E+60", "out of range"),
        ("1e530001000000000000000", "out of range"),  # an exponent past what a Decimal holds
        ("-1.5E-530001000000000000000", "out of range"),
        ("1" * 5000, "out of range"),  # a JSON integer past Python's 4,300-digit conversion limit
        ('"' + "9" * 1_000_000 + '"', "too long to be a value"),
        ('"1e400万"', "unknown unit 'e400万'"),
        ("-1", "must not be negative"),
    ],
)
def test_out_of_range_numbers_are_refused_naming_the_field(tmp_path, capsys, value, message) -> None:
    text = json.dumps(DRUG)[:-1] + f', "临床研发费用": {value}}}'
    # A child process with a timeout: before the bound, 1E-999999999 hung writing a billion digits.
    script = f"import sys; from pol.compiler.cli import main; sys.exit(main({_eval(tmp_path, text, '--json')!r}))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 2, run.stderr
    assert "临床研发费用 (本阶段单品种临床研发费用)" in run.stderr and message in run.stderr
    assert len(run.stderr) < 2000


def test_a_whole_number_ratio_is_ambiguous_and_refused() -> None:
    spec = rt.Input("比例", "ratio", None, None, "比例")
    with pytest.raises(ValueError, match="ambiguous"):
        rt.read_fact(spec, 30)
    assert rt.read_fact(spec, "30%") == rt.read_fact(spec, Decimal("0.3")) == Decimal("0.3")


def test_negative_zero_is_zero(tmp_path, capsys) -> None:
    assert (
        main(_eval(tmp_path, json.dumps(DRUG)[:-1] + ', "临床研发费用": -0.0}', "--json", "--clause", "创新药研发"))
        == 0
    )
    result = _json_out(capsys)["clauses"][0]
    assert (result["status"], result["amount"]) == ("granted", "0.00")


def test_a_zero_divisor_says_so_instead_of_asking_for_facts_given(tmp_path, capsys) -> None:
    text = '{"园区经财政部门认定": true, "园区年税收": "5000万", "园区面积": "0亩"}'
    assert main(_eval(tmp_path, text, "--json", "--clause", "园区亩产税收奖励")) == 0
    result = _json_out(capsys)["clauses"][0]
    assert result["status"] == "not_eligible" and result["missing"] == []
    assert result["explanation"][-1] == "园区面积 0亩，不能作除数，无法计算"


def test_a_division_by_zero_inside_a_grant_is_explained(tmp_path) -> None:
    from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source

    compiled = compile_text(
        'policy p { title: "t" }\ninput 总额: money\ninput 面积: area(亩)\n'
        'clause 均摊 "1" { grant 总额 / 面积 × 1亩 }\n',
        "p.pol",
    )
    assert compiled.ok, compiled.diagnostics
    module = load_evaluator(python_source(compiled), "p")
    result = module.evaluate({"总额": "100万", "面积": "0亩"}).results[0]
    assert result.status == "not_eligible" and "面积 0亩，不能作除数" in result.explanation[-1]


def test_a_hundred_thousand_unknown_fields_are_refused_quickly_and_briefly(tmp_path, capsys) -> None:
    facts = {f"字段{n}": 1 for n in range(100_000)}
    assert main(_eval(tmp_path, json.dumps(facts, ensure_ascii=False))) == 2
    err = capsys.readouterr().err
    assert "pol reads at most 10000" in err
    facts = {f"字段{n}": 1 for n in range(5_000)}
    assert main(_eval(tmp_path, json.dumps(facts, ensure_ascii=False))) == 2
    err = capsys.readouterr().err
    assert err.count("not an input of this policy") == rt.MAX_PROBLEMS and "…and 4950 more problems" in err


@pytest.mark.parametrize(
    "given, expected",
    [
        ("1 亿元", Decimal(100_000_000)),
        ("100,000,000", Decimal(100_000_000)),
        ("3,000万", Decimal(30_000_000)),
        ("３０００万", Decimal(30_000_000)),
        ("１．５亿", Decimal(150_000_000)),
        ("3000万元", Decimal(30_000_000)),
    ],
)
def test_money_as_people_write_it(given, expected) -> None:
    assert rt.read_fact(rt.Input("x", "money", "CNY", None, "x"), given) == expected


def test_roman_numeral_stages_and_full_width_letters_match_the_enumeration(tmp_path, capsys) -> None:
    text = '{"新药类别": "一类新药", "临床阶段": "Ⅲ期", "临床研发费用": "1亿"}'
    assert main(_eval(tmp_path, text, "--json", "--clause", "创新药研发")) == 0
    assert _json_out(capsys)["clauses"][0]["amount"] == "20000000.00"


def test_a_figure_for_a_dollar_input_is_in_dollars_and_yuan_are_refused() -> None:
    usd = rt.Input("实缴注册资金", "money", "USD", None, "实缴注册资金（美元）")
    assert rt.read_fact(usd, "600万") == rt.read_fact(usd, "600万美元") == rt.read_fact(usd, 6_000_000)
    with pytest.raises(ValueError, match="expected an amount in 美元"):
        rt.read_fact(usd, "600万元")
    with pytest.raises(ValueError, match="expected an amount in 元"):
        rt.read_fact(rt.Input("x", "money", "CNY", None, "x"), "600万美元")


def test_rents_per_month_or_day_are_converted_to_the_yearly_price() -> None:
    rent = rt.Input("租金单价", "money_per_area", "CNY", "m2", "实际租金（元/平方米·年）")
    assert rt.read_fact(rent, "600元/平方米") == rt.read_fact(rent, "600元/平方米·年") == Decimal(600)
    assert rt.read_fact(rent, "50元/平方米·月") == Decimal(600)
    assert rt.read_fact(rent, "2元/㎡·天") == Decimal(730)
    with pytest.raises(ValueError, match="unknown unit"):
        rt.read_fact(rt.Input("x", "money", "CNY", None, "x"), "50元·月")


def test_a_misspelt_shared_fact_in_a_comparison_is_refused(tmp_path, capsys) -> None:
    project = json.loads((ROOT / "examples" / "compare" / "class1_drug_phase3.json").read_text(encoding="utf-8"))
    project["facts"]["临床研发废用"] = "5000万"
    path = tmp_path / "project.json"
    path.write_text(json.dumps(project, ensure_ascii=False), encoding="utf-8")
    assert main(["compare", str(path), "--policies", *(str(POLICIES / f"{n}.pol") for n in project["policies"])]) == 2
    err = capsys.readouterr().err
    assert "facts.临床研发废用: not an input of any of the policies compared" not in err  # named without the prefix
    assert "临床研发废用: not an input of any of the policies compared; did you mean '临床研发费用'?" in err


@pytest.mark.parametrize("field, value", [("item", ["a"]), ("level", ["市级"]), ("item", {"a": 1})])
def test_profile_fields_of_the_wrong_shape_are_refused(tmp_path, capsys, field, value) -> None:
    received = {"date": "2022-01-01", "amount": "10万", "subject": "房租", "source": "外地", field: value}
    profile = {
        "enterprise": "甲",
        "items": {"a": {}},
        "received": [received],
        "events": [{"date": "2022-01-01", "policy": "yantai", "clause": "研发型企业房租补贴", "item": value}],
    }
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    assert main(["eval-profile", str(path), "--policies", YANTAI]) == 2
    assert f"received[0].{field}:" in capsys.readouterr().err
