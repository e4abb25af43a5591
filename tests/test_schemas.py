"""The JSON Schemas `pol inputs` writes accept every bundled example and reject what the evaluator rejects."""

from __future__ import annotations

import json

import cn2an
import pytest
from conftest import FUZZ_COUNTS, POLICIES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from pol.compiler.check.schema import input_schema, profile_schema
from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file, policy_files
from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.policies import ProfileError, load_policies


@pytest.fixture(scope="module")
def compiled():
    # The bundled policies and the example policies of examples/policies/, which some profiles use.
    out = {p.stem: compile_file(p) for p in policy_files([str(POLICIES), str(ROOT / "examples" / "policies")])}
    assert all(c.ok for c in out.values())
    return out


@pytest.fixture(scope="module")
def profile_validator(compiled):
    schema = profile_schema({k: c.policy for k, c in compiled.items()})
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator, instance) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance))


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples").glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_every_example_conforms_to_its_schema(path, compiled, profile_validator) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    if path.parent.name == "profiles":
        assert _errors(profile_validator, data) == []
    elif path.parent.name == "compare":
        for key, facts in data["policies"].items():
            assert _errors(Draft202012Validator(input_schema(compiled[key].policy)), facts) == []
    else:
        schema = input_schema(compiled[path.stem].policy)
        Draft202012Validator.check_schema(schema)
        assert _errors(Draft202012Validator(schema), data) == []


def test_schema_and_profile_reader_refuse_the_same_mistakes(compiled, profile_validator) -> None:
    raw = json.loads((ROOT / "examples" / "profiles" / "yantai_class1_drug.json").read_text(encoding="utf-8"))
    raw["facts"]["企业类形"] = "研发型企业"  # misspelt
    raw["items"]["YT-101"]["colour"] = "red"
    raw["events"][0]["facts"]["在我市转化且符合第三条范围"] = True  # a Suzhou input, under a Yantai event
    raw["events"][1]["clause"] = "不存在"
    errors = _errors(profile_validator, raw)
    assert any(e.startswith("facts: Additional properties are not allowed ('企业类形'") for e in errors)
    assert any(e.startswith("items.YT-101: Additional properties are not allowed ('colour'") for e in errors)
    assert any(e.startswith("events.0:") for e in errors) and any(e.startswith("events.1:") for e in errors)
    with pytest.raises(ProfileError) as err:
        evaluate_profile(raw, load_policies(list(compiled.values())))
    assert err.value.problems == [
        "facts.企业类形: not an input of any of the policies given; did you mean '企业类型'?",
        "items.YT-101.colour: not a field of an item (name, facts)",
        "events[0].facts.在我市转化且符合第三条范围: not an input of yantai",
        "events[1].clause: '不存在' is not a clause of yantai",
    ]


def test_inputs_command_writes_the_profile_schema(capsys) -> None:
    assert main(["inputs", str(POLICIES), "--profile"]) == 0
    schema = json.loads(capsys.readouterr().out)
    events = schema["properties"]["events"]["items"]["oneOf"]
    assert {e["properties"]["policy"]["const"] for e in events} == {p.stem for p in POLICIES.glob("*.pol")}
    assert main(["inputs", str(POLICIES / "yantai.pol"), str(POLICIES / "suzhou.pol")]) == 2
    assert "give one policy, or --profile" in capsys.readouterr().err


ALL_KINDS = """policy k { title: "每种输入" }
input 金额: money
input 美元: money(USD)
input 比例: ratio
input 面积: area
input 亩数: area(mu)
input 单价: money/m2
input 年限: years
input 个数: count
input 是否: bool
input 日期: date
enum 类 { 甲, 乙 }
input 类别: 类
"""


@pytest.fixture(scope="module")
def all_kinds():
    from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source

    compiled = compile_text(ALL_KINDS, "kinds.pol")
    assert compiled.ok, compiled.diagnostics
    return load_evaluator(python_source(compiled), "kinds"), input_schema(compiled.policy)


# A whole number as people write it: 3000, 三千, 叁仟 (cn2an writes the numerals the evaluators must read).
_WHOLE = st.builds(
    lambda n, style: str(n) if style == "arabic" else cn2an.an2cn(n, style),
    st.integers(0, 10**6),
    st.sampled_from(["arabic", "arabic", "low", "up"]),
)
_QUANTITY_TEXT = st.builds(
    lambda space, sign, n, frac, mult, unit: f"{space}{sign}{n}{frac}{mult}{unit}{space}",
    st.sampled_from(["", " "]),
    st.sampled_from(["", "-", "百分之"]),
    _WHOLE,
    st.sampled_from(["", ".5", ".0", ".", "点五", "点零"]),
    st.sampled_from(["", "万", "亿", "千万", "百万", "萬", "億"]),
    st.sampled_from(["", "元", "美元", "%", "％", "平方米", "㎡", "亩", "年", "元/平方米", "万元/亩", "/平方米", "个"]),
)
_VALUE = st.one_of(
    _QUANTITY_TEXT,
    st.integers(-5, 10**9),
    st.decimals(min_value=-(10**6), max_value=10**12, places=2),
    st.booleans(),
    st.sampled_from(["甲", "丙", "是", "否", "true", "2022-02-28", "2022-02-30", "2022/01/01"]),
    st.dates().map(str),
    st.lists(st.integers(), max_size=2),
)


@settings(
    max_examples=1200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["金额", "美元", "比例", "面积", "亩数", "单价", "年限", "个数", "是否", "日期", "类别"]),
    value=_VALUE,
)
def test_the_schema_accepts_exactly_what_the_evaluator_accepts(all_kinds, name, value) -> None:
    from pol.compiler import runtime as rt

    module, schema = all_kinds
    try:
        rt.read_fact(module.INPUTS[name], value)
        accepted = True
    except ValueError:
        accepted = False
    valid = Draft202012Validator(schema["properties"][name], format_checker=FormatChecker()).is_valid(value)
    assert accepted == valid, (name, value)
    FUZZ_COUNTS[f"schema and evaluator agree: {'accepted' if accepted else 'refused'}"] += 1
