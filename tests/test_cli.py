"""The `pol` command's contract: exit codes, JSON shapes, and clear messages for bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT
from rich.console import Console

from pol.compiler.cli import main
from pol.compiler.cli.commands import Cli

YANTAI = str(POLICIES / "yantai.pol")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = Console(record=True, width=200), Console(record=True, width=200)
    code = main(argv, Cli(out, err))
    return code, out.export_text(), err.export_text()


def test_check_clean_and_with_errors() -> None:
    assert run(["check", str(POLICIES)])[0] == 0
    code, _, err = run(["check", str(ROOT / "tests" / "bad" / "POL101_unknown_name.pol")])
    assert code == 1
    # Drafters read Chinese by default; the header keeps the form tools parse.
    assert "POL101_unknown_name.pol:11:9: error[POL101]: 未知的名称“费角”" in err
    assert "^~" in err
    code, _, err = run(["check", "--lang", "en", str(ROOT / "tests" / "bad" / "POL101_unknown_name.pol")])
    assert code == 1
    assert "POL101_unknown_name.pol:11:9: error[POL101]: unknown name '费角'" in err


def test_check_json_format() -> None:
    code, out, _ = run(["check", "--format", "json", str(ROOT / "tests" / "bad" / "POL202_currency.pol")])
    assert code == 1
    [d] = json.loads(out)
    assert set(d) >= {"code", "severity", "message", "file", "line", "column", "end_line", "end_column"}
    assert (d["code"], d["line"], d["column"], d["end_column"]) == ("POL202", 10, 11, 18)


def test_eval_json_shape(tmp_path: Path) -> None:
    code, out, _ = run(
        [
            "eval",
            YANTAI,
            "--facts",
            str(ROOT / "examples" / "drug_developer" / "yantai.json"),
            "--as-of",
            "2022-01-01",
            "--json",
        ]
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["as_of"] == "2022-01-01"
    drug = next(c for c in doc["clauses"] if c["id"] == "创新药研发")
    assert {k: drug[k] for k in ("article", "status", "amount", "max_amount", "min_amount", "beneficiary")} == {
        "article": "二(一)1",
        "status": "granted",
        "amount": "20000000.00",
        "max_amount": "20000000.00",
        "min_amount": None,
        "beneficiary": "企业",
    }
    rent = next(c for c in doc["clauses"] if c["id"] == "研发型企业房租补贴")
    assert rent["amount"] == "300000.00"  # 1200 元/m² × 500 m² × 50%
    assert doc["totals"]["determined"] == "20300000.00"


@pytest.mark.parametrize(
    ("facts", "messages"),
    [
        ({"临床研发费用": True}, ["临床研发费用 (本阶段单品种临床研发费用): expected an amount in 元"]),
        (
            {"临床研发费用": "很多"},
            ["临床研发费用 (本阶段单品种临床研发费用): 'x' is not a number".replace("'x'", "'很多'")],
        ),
        (
            {"新药类别": "一类新要", "租赁面积": "800亩", "外资": 1},
            [
                "新药类别 (新药类别): '一类新要' is not one of 一类新药、二类新药、生物类似药; did you mean '一类新药'?",
                "租赁面积 (实际租赁面积): expected an area in 平方米, got '800亩' in 亩",
                "外资: not an input of this policy",
            ],
        ),
        ({"实缴注册资本": "-5万"}, ["实缴注册资本 (实缴注册资本): must not be negative, got '-5万'"]),
        (
            {"销售年度": "1.5"},
            ["销售年度 (自开始销售（首次在本市生产、结算）起的第几年): expected a whole number, got '1.5'"],
        ),
    ],
)
def test_bad_facts_exit_2_naming_each_field(tmp_path: Path, facts, messages) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    code, _, err = run(["eval", YANTAI, "--facts", str(path)])
    assert code == 2
    for m in messages:
        assert m in err
    assert "Traceback" not in err


def test_unreadable_facts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": ', encoding="utf-8")
    code, _, err = run(["eval", YANTAI, "--facts", str(bad)])
    assert code == 2 and "not valid JSON" in err
    code, _, err = run(["eval", YANTAI, "--facts", str(tmp_path / "missing.json")])
    assert code == 2 and "cannot read facts file" in err


def test_eval_single_clause_with_missing_facts_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text('{"企业类型": "研发型企业"}', encoding="utf-8")
    code, _, err = run(["eval", YANTAI, "--facts", str(path), "--clause", "研发型企业房租补贴"])
    assert code == 2
    assert "固定资产投资、实缴注册资本" in err


def test_inputs_schema() -> None:
    code, out, _ = run(["inputs", YANTAI])
    assert code == 0
    schema = json.loads(out)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["新药类别"]["enum"] == ["一类新药", "二类新药", "生物类似药"]
    assert schema["properties"]["临床研发费用"]["title"] == "本阶段单品种临床研发费用"
    assert schema["properties"]["该品种已获研发扶持"]["default"] == "0"


def test_test_command_reports_pytest_style_summary() -> None:
    code, out, _ = run(["test", str(POLICIES)])
    assert code == 0
    examples = sum(
        len(re.findall(r"^\s*example\b", p.read_text(encoding="utf-8"), re.M)) for p in POLICIES.glob("*.pol")
    )
    assert examples > 50
    assert out.strip().endswith(f"算例通过 {examples} 个，未通过 0 个")


def test_test_command_shows_failures_with_trace(tmp_path: Path) -> None:
    text = (POLICIES / "yantai.pol").read_text(encoding="utf-8").replace("expect 160万", "expect 170万")
    wrong = tmp_path / "wrong.pol"
    wrong.write_text(text, encoding="utf-8")
    code, out, _ = run(["test", str(wrong)])
    assert code == 1
    assert "expected: 应得 170万元" in out and "got:      应得 160万元" in out
    assert "临床研发费用 400万元 × 40% = 160万元" in out


def test_build_failure_leaves_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", str(POLICIES), "--out", str(out)]) == 0
    before = (out / "yantai.py").read_bytes()
    code, _, _ = run(["build", str(ROOT / "tests" / "bad"), "--out", str(out)])
    assert code == 1
    assert (out / "yantai.py").read_bytes() == before


def _json_of(argv: list[str], expect: int = 0) -> object:
    out, err = Console(record=True, width=100_000), Console(record=True, width=200)
    code = main(argv, Cli(out, err))
    assert code == expect, err.export_text()
    return json.loads(out.export_text())


@pytest.mark.long  # every command once over, which takes ten seconds
def test_every_command_that_reports_speaks_json_with_format_json(tmp_path) -> None:
    facts = ROOT / "examples" / "drug_developer" / "yantai.json"
    profile = str(ROOT / "examples" / "profiles" / "yantai_class1_drug.json")
    people = tmp_path / "people.csv"
    shapes = {
        "check": (["check", YANTAI], list),
        "lint": (["lint", YANTAI], list),
        "inventory": (["inventory", YANTAI], (list, dict)),
        "build": (["build", YANTAI, "--out", str(tmp_path / "ev")], dict),
        "docs": (["docs", YANTAI, "--out", str(tmp_path / "site")], dict),
        "eval": (["eval", YANTAI, "--facts", str(facts), "--as-of", "2022-06-30"], dict),
        "inputs": (["inputs", YANTAI], dict),
        "eval-profile": (["eval-profile", profile, "--policies", YANTAI], dict),
        "compare": (
            [
                "compare",
                str(ROOT / "examples" / "compare" / "class1_drug_phase3.json"),
                "--policies",
                YANTAI,
                str(POLICIES / "suzhou.pol"),
                str(POLICIES / "jiangsu.pol"),
            ],
            dict,
        ),
        "match": (["match", profile, "--policies", YANTAI], dict),
        "synth": (["synth", YANTAI, "--rows", "50", "--out", str(people)], dict),
        "batch": (["batch", YANTAI, "--input", str(people), "--out", str(tmp_path / "out.csv")], dict),
        "simulate": (["simulate", YANTAI, "--input", str(people), "--set", "创新药研发.rate=30%"], dict),
        "test": (["test", YANTAI], dict),
    }
    for name, (argv, shape) in shapes.items():
        assert isinstance(_json_of([*argv, "--format", "json"]), shape), name


def test_facts_and_profiles_can_come_from_standard_input(monkeypatch, capsys) -> None:
    import io
    import sys

    text = (ROOT / "examples" / "drug_developer" / "yantai.json").read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))
    assert main(["eval", YANTAI, "--facts", "-", "--as-of", "2022-06-30", "--json"]) == 0
    from_stdin = json.loads(capsys.readouterr().out)
    assert (
        main(
            [
                "eval",
                YANTAI,
                "--facts",
                str(ROOT / "examples" / "drug_developer" / "yantai.json"),
                "--as-of",
                "2022-06-30",
                "--json",
            ]
        )
        == 0
    )
    assert from_stdin == json.loads(capsys.readouterr().out)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"{oops"), encoding="utf-8"))
    assert main(["eval", YANTAI, "--facts", "-"]) == 2
    assert "<stdin>:1:2: not valid JSON" in capsys.readouterr().err


def test_pol_all_runs_the_pipeline_and_stops_at_the_first_failing_step(tmp_path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "yantai.pol").write_bytes((POLICIES / "yantai.pol").read_bytes())
    project = tmp_path / "pol.toml"
    project.write_text(
        f'policies = ["{tmp_path / "policies"}"]\nout = "{tmp_path / "build"}"\n[site]\nname = "试运行"\n',
        encoding="utf-8",
    )
    report = _json_of(["all", "--project", str(project), "--no-site", "--format", "json"])
    assert report["ok"] and [s["step"] for s in report["steps"]] == ["check", "lint", "test", "prove", "build", "docs"]
    assert (tmp_path / "build" / "evaluators" / "yantai.py").is_file()
    assert (tmp_path / "build" / "site" / "mkdocs.yml").is_file()
    # A worked example that no longer holds stops the pipeline at `test`, before anything is written.
    text = (POLICIES / "yantai.pol").read_text(encoding="utf-8").replace("expect 200万", "expect 201万", 1)
    assert text != (POLICIES / "yantai.pol").read_text(encoding="utf-8")
    (tmp_path / "policies" / "yantai.pol").write_text(text, encoding="utf-8")
    code, _, err = run(["all", "--project", str(project), "--no-site"])
    assert code == 1 and "✗ [3/6] test" in err and "FAIL" in err
    project.write_text('polices = ["policies"]\n', encoding="utf-8")
    code, _, err = run(["all", "--project", str(project)])
    assert code == 2 and "unknown key(s) polices" in err


def test_full_width_punctuation_gets_the_ascii_it_should_be(tmp_path) -> None:
    path = tmp_path / "fw.pol"
    path.write_text(
        'policy p {\n  title: "测试政策"\n}\ninput 费用: money\nclause a "一" {\n  grant min（费用, 100万)\n}\n',
        encoding="utf-8",
    )
    code, _, err = run(["check", str(path)])
    assert code == 1
    assert "fw.pol:6:12: error[POL001]: 意外的字符“（”" in err
    assert "“（”是全角形式；请写半角的“(”" in err


DOCUMENT_EXAMPLE = """policy p { title: "合计测试" }
input 费用: money
input 已获: money default 0
clause a "一" { grant 费用 × 50%  cap 300万 }
clause b "二" { grant 200万 }
limit 400万 - 已获 per enterprise per year label "每年资助总额余额"
example "两项合计受上限约束" { 费用 = 1000万  expect EXPECTED }
example "已获部分额度" { 费用 = 100万  已获 = 350万  expect 50万 }
"""


@pytest.mark.parametrize("target", ["python", "js"])
def test_an_example_of_the_whole_document_tests_its_limits(tmp_path: Path, target: str) -> None:
    good = tmp_path / "p.pol"
    good.write_text(DOCUMENT_EXAMPLE.replace("EXPECTED", "400万"), encoding="utf-8")
    code, out, _ = run(["test", "-v", "--target", target, str(good)])
    assert code == 0, out
    assert f"PASS {good}:7 全文合计: 两项合计受上限约束" in out
    assert f"PASS {good}:8 全文合计: 已获部分额度" in out
    bad = tmp_path / "bad.pol"
    bad.write_text(DOCUMENT_EXAMPLE.replace("EXPECTED", "500万"), encoding="utf-8")  # 300万 + 200万 before the limit
    code, out, _ = run(["test", "--target", target, str(bad)])
    assert code == 1
    assert "expected: 合计应得 500万元" in out and "got:      合计应得 400万元" in out
    assert "确定金额合计 500万元 超过每年资助总额余额 400万元，按 400万元 计" in out


def test_an_example_of_the_whole_document_expects_a_total(tmp_path: Path) -> None:
    path = tmp_path / "p.pol"
    path.write_text(DOCUMENT_EXAMPLE.replace("EXPECTED", "100万 to 400万"), encoding="utf-8")
    code, _, err = run(["check", "--lang", "en", str(path)])
    assert code == 1
    assert "p.pol:7:35: error[POL107]: an example of the whole document expects a total" in err


FIGURES_AS_WRITTEN = """policy p { title: "写法测试" effective: 2022-01-01 }
enum 阶段 { I期, II期, III期 }
input 阶段: 阶段
input 费用: money
input 比例: ratio
clause a "一" {
  when 阶段 = III期
  grant 费用 × 比例
  cap 2000万
  example "中文数字" { 阶段 = Ⅲ期  费用 = 三千万  比例 = 百分之四十  expect 1200万 }
  example "全角数字" { 阶段 = III期  费用 = ３０００万  比例 = 40%  expect 1200万 }
  example "大写数字" { 阶段 = III期  费用 = 壹亿元  比例 = 百分之四十  expect 2000万 }
}
"""


@pytest.mark.parametrize("target", ["python", "js"])
def test_example_facts_are_read_as_people_write_them(tmp_path: Path, target: str) -> None:
    path = tmp_path / "p.pol"
    path.write_text(FIGURES_AS_WRITTEN, encoding="utf-8")
    code, out, err = run(["test", "-v", "--target", target, str(path)])
    assert code == 0, out + err
    assert "算例通过 3 个，未通过 0 个" in out


def test_no_silent_defaults_a_policy_without_status_or_examples_is_told(tmp_path: Path) -> None:
    path = tmp_path / "p.pol"
    path.write_text(
        'policy p {\n  title: "测试政策"\n}\ninput a: money\nclause c "一" {\n  grant a × 10%\n}\n', encoding="utf-8"
    )
    code, _, err = run(["lint", str(path)])
    assert "warning[POL106]: 政策“p”没有写明状态，网站显示为“状态未知”" in err
    code, out, err = run(["test", str(path)])
    assert code == 0 and "算例通过 0 个，未通过 0 个" in out
    assert "p.pol: 没有算例" in err
    code, out, _ = run(["test", "--format", "json", str(path)])
    assert json.loads(out)["files_without_examples"] == [str(path)]
    empty = tmp_path / "empty.pol"
    empty.write_text("", encoding="utf-8")
    code, _, err = run(["check", str(empty)])
    assert code == 1 and "error[POL106]" in err


def test_a_policy_without_status_is_not_called_in_force() -> None:
    import datetime

    from pol.compiler.check.validity import standing

    day = datetime.date(2022, 1, 1)
    assert standing({}, day).label == "状态未知"
    assert standing({"status": "状态未知"}, day).label == "状态未知"
    assert standing({"status": "现行有效"}, day).label == "现行有效"
