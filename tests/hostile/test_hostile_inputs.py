"""Hostile policies and facts: each gives exactly its error or a safe output, and nothing in them ever runs."""

from __future__ import annotations

import ast as pyast
import datetime
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT

from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_text, load_evaluator, python_source

HOSTILE = (Path(__file__).parent / "codegen.pol").read_text(encoding="utf-8")


def hostile_source(canary: Path) -> str:
    return HOSTILE.replace("{canary}", str(canary))


def test_a_hostile_policy_compiles_to_a_module_that_does_only_what_it_says(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    compiled = compile_text(hostile_source(canary), "hostile.pol")
    assert compiled.ok, compiled.diagnostics
    source = python_source(compiled)
    module = load_evaluator(source, "hostile")
    assert not canary.exists()
    # The names are Python keywords and builtins, the strings hostile; the arithmetic is still the policy's.
    ev = module.evaluate({"import": "500万", "eval": True, "def": "__import__"}, as_of=datetime.date(2022, 1, 1))
    assert (ev.results[0].status, ev.results[0].amount) == ("granted", Decimal("500000.00"))
    ev = module.evaluate({"import": "2000万", "eval": True, "def": "None"}, as_of=datetime.date(2022, 1, 1))
    assert ev.results[0].status == "not_eligible"
    assert module.TITLE == "标题\" + __import__('os').system('touch " + str(canary) + "') + \"{x} \\ '''"
    assert module.INPUTS["import"].label.endswith(f"__import__('os').system('touch {canary}')")
    assert not canary.exists()


def test_generated_modules_never_call_eval_exec_or_import_on_data(tmp_path: Path) -> None:
    sources = [python_source(compile_text(hostile_source(tmp_path / "x"), "hostile.pol"))]
    for path in sorted(POLICIES.glob("*.pol")):
        sources.append(python_source(compile_text(path.read_text(encoding="utf-8"), path.name)))
    forbidden = {"eval", "exec", "compile", "__import__", "open", "getattr", "setattr", "globals", "locals", "vars"}
    for source in sources:
        tree = pyast.parse(source)
        calls = {n.func.id for n in pyast.walk(tree) if isinstance(n, pyast.Call) and isinstance(n.func, pyast.Name)}
        assert not calls & forbidden
        imports = {a.name for n in pyast.walk(tree) if isinstance(n, (pyast.Import, pyast.ImportFrom)) for a in n.names}
        assert imports <= {"datetime", "Decimal", "pol_runtime"}, imports
        # Every string the policy supplied is a literal; none is an f-string or a format template.
        assert not any(isinstance(n, pyast.JoinedStr) for n in pyast.walk(tree))


def test_building_and_importing_a_hostile_policy_runs_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    pol = tmp_path / "policies" / "hostile.pol"
    pol.parent.mkdir()
    pol.write_text(hostile_source(canary), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["check", str(pol)]) == 0
    assert main(["build", str(pol), "--out", str(out)]) == 0
    assert main(["test", str(pol)]) == 0
    script = f"import sys; sys.path.insert(0, {str(out)!r}); import hostile; print(hostile.TITLE)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "__import__('os')" in result.stdout
    assert not canary.exists()


# ---------------------------------------------------------------- hostile facts

YANTAI = str(POLICIES / "yantai.pol")


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ({"临床研发费用": "-300万"}, "临床研发费用 (本阶段单品种临床研发费用): must not be negative, got '-300万'"),
        (
            {"临床研发费用": "300万美元"},
            "临床研发费用 (本阶段单品种临床研发费用): expected an amount in 元, such as "
            "\"3000万元\", got '300万美元' in 美元",
        ),
        ({"临床研发费用": "1e999"}, "临床研发费用 (本阶段单品种临床研发费用): "),
        ({"临床研发费用": "NaN"}, "临床研发费用 (本阶段单品种临床研发费用): "),
        (
            {"临床研发费用": [1]},
            '临床研发费用 (本阶段单品种临床研发费用): expected an amount in 元, such as "3000万元", got [1]',
        ),
        (
            {"新药类别": "三类新药"},
            "新药类别 (新药类别): '三类新药' is not one of 一类新药、二类新药、生物类似药; did you mean '二类新药'?",
        ),
        ({"临床阶段": "IV期"}, "临床阶段 (本次申请对应的临床试验阶段): 'IV期' is not one of I期、II期、III期"),
        ({"在本市落地生产结算": "yes"}, "在本市落地生产结算 (在本市落地生产、结算): expected true or false, got 'yes'"),
        ({"临床研发费用x": "300万"}, "临床研发费用x: not an input of this policy; did you mean '临床研发费用'?"),
        ({"__class__": 1}, "__class__: not an input of this policy"),
    ],
)
def test_each_bad_fact_is_named_in_one_message_with_exit_2(tmp_path, capsys, facts, message) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    assert main(["eval", YANTAI, "--facts", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b"[1, 2]", "facts must be an object"),
        ('{"临床研发费用": "3000万",}'.encode(), "facts.json:1:20: not valid JSON"),
        (b'{"\xff\xfe": 1}', "UTF-8"),
        (b'{"a": ' * 100_000, "the JSON is nested too deeply"),
    ],
)
def test_broken_facts_files_exit_2(tmp_path, capsys, content, message) -> None:
    path = tmp_path / "facts.json"
    path.write_bytes(content)
    assert main(["eval", YANTAI, "--facts", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_a_missing_facts_file_exits_2(tmp_path, capsys) -> None:
    assert main(["eval", YANTAI, "--facts", str(tmp_path / "nowhere.json")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_complete_mode_names_every_missing_fact(tmp_path, capsys) -> None:
    path = tmp_path / "facts.json"
    path.write_text('{"新药类别": "一类新药"}', encoding="utf-8")
    assert main(["eval", YANTAI, "--facts", str(path), "--clause", "创新药研发", "--complete"]) == 2
    err = capsys.readouterr().err
    assert "clause 创新药研发 needs the facts: 临床研发费用" in err
    path.write_text('{"新药类别": "一类新药", "临床阶段": "I期", "临床研发费用": "100万"}', encoding="utf-8")
    assert main(["eval", YANTAI, "--facts", str(path), "--clause", "创新药研发", "--complete"]) == 0


# ---------------------------------------------------------------- hostile profiles


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda p: p["events"][0].update(date="2022-02-30"),
            "events[0].date: expected a date such as 2022-05-10, got '2022-02-30'",
        ),
        (
            lambda p: p["items"]["YT-101"]["facts"].update(新药类别="四类新药"),
            "items.YT-101.facts.新药类别 (新药类别): '四类新药' is not one of 一类新药、二类新药、生物类似药",
        ),
        (lambda p: p["facts"].update(企业类型=["研发型企业"]), "facts.企业类型 (企业类型): "),
        (
            lambda p: p["events"][1]["facts"].update(临床研发费用="-1万"),
            "events[1].facts.临床研发费用 (本阶段单品种临床研发费用): must not be negative, got '-1万'",
        ),
        (
            lambda p: p.update(
                received=[{"date": "2022-01-01", "amount": "1e999万", "subject": "房租", "source": "x"}]
            ),
            "received[0].amount: ",
        ),
        (lambda p: p.update(events={"a": 1}), "events: expected a list of events"),
    ],
)
def test_bad_profiles_are_refused_before_anything_is_evaluated(tmp_path, capsys, change, message) -> None:
    profile = json.loads((ROOT / "examples" / "profiles" / "yantai_class1_drug.json").read_text(encoding="utf-8"))
    change(profile)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    assert main(["eval-profile", str(path), "--policies", str(POLICIES)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


# ---------------------------------------------------------------- pathological policies

HEAD = 'policy p { title: "测试政策" }\ninput x: money\n'


def test_an_expression_too_deep_for_python_is_refused_with_a_message_and_the_rest_still_checked() -> None:
    long_sum = " + ".join(["x"] * 2000)
    text = HEAD + f'clause c "1" {{ beneficiary: enterprise grant {long_sum} }}\nclause d "2" {{ grant y }}\n'
    compiled = compile_text(text, "p.pol")
    got = [(d.code, d.span.line, d.message) for d in compiled.diagnostics]
    assert got == [
        ("POL004", 3, "this declaration is nested more than 60 levels deep"),
        ("POL101", 4, "unknown name 'y'"),
    ]
    # Just under the limit compiles, and the generated Python stays within Python's own nesting limit.
    ok = compile_text(HEAD + 'clause c "1" { beneficiary: enterprise grant ' + " + ".join(["x"] * 50) + " }\n", "p.pol")
    assert ok.ok
    module = load_evaluator(python_source(ok), "long_sum")
    assert module.evaluate({"x": "1万"}).results[0].amount == Decimal("500000.00")


def test_deeply_bracketed_expressions_cost_nothing() -> None:
    text = HEAD + 'clause c "1" { beneficiary: enterprise grant ' + "(" * 5000 + "x × 10%" + ")" * 5000 + " }\n"
    compiled = compile_text(text, "p.pol")
    assert compiled.ok


def test_thousands_of_clauses_are_checked() -> None:
    clauses = "".join(f'clause c{i} "{i}" {{ beneficiary: enterprise grant x × 10% cap 100万 }}\n' for i in range(2000))
    compiled = compile_text(HEAD + clauses, "p.pol")
    assert compiled.ok and len(compiled.policy.clauses) == 2000


def test_a_ten_megabyte_original_costs_memory_in_proportion() -> None:
    import tracemalloc

    original = "对符合条件的企业给予最高一百万元支持。" * 550_000  # 10.5 million characters
    text = HEAD + f'clause c "1" {{ beneficiary: enterprise original: """{original}""" grant up to 100万 }}\n'
    tracemalloc.start()
    try:
        compiled = compile_text(text, "p.pol")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert compiled.ok and len(compiled.policy.clauses[0].original.value) == len(original)
    # The text itself takes 21 MB in memory. Before the string pattern was unrolled, the regex engine's
    # backtracking stack took 1.8 GB here.
    assert peak < 200_000_000, peak


# ---------------------------------------------------------------- no lost work


def test_pol_never_replaces_a_folder_it_did_not_write(tmp_path, capsys) -> None:
    mine = tmp_path / "work"
    mine.mkdir()
    (mine / "notes.txt").write_text("a drafter's notes", encoding="utf-8")
    for command in (["build", str(POLICIES / "xuzhou.pol")], ["docs", str(POLICIES / "xuzhou.pol")]):
        assert main([*command, "--out", str(mine)]) == 2
        assert "was not written by pol" in capsys.readouterr().err
        assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    # A folder pol wrote is replaced whole; an empty or new one is simply used.
    out = tmp_path / "out"
    assert main(["build", str(POLICIES / "xuzhou.pol"), "--out", str(out)]) == 0
    assert main(["build", str(POLICIES / "yantai.pol"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [".pol-output", "pol_runtime.py", "yantai.py"]


def test_a_failed_build_keeps_the_previous_output(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["build", str(POLICIES / "xuzhou.pol"), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.pol"
    bad.write_text('policy p { title: "x" }\nclause c "1" { grant y }\n', encoding="utf-8")
    assert main(["build", str(bad), "--out", str(out)]) == 1
    assert main(["build", str(tmp_path / "nowhere"), "--out", str(out)]) == 1  # reported as a file error
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging folder left behind


def test_a_bug_in_pol_is_reported_as_such_without_a_traceback(capsys, monkeypatch) -> None:
    from pol.compiler.cli import commands

    def broken(self, args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(commands.Cli, "check", broken)
    assert main(["check", str(POLICIES / "xuzhou.pol")]) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: boom" in err and "this is a bug in pol" in err
    assert "Traceback" not in err


def test_impossible_dates_and_extra_fields_are_named_together(tmp_path, capsys) -> None:
    pol = tmp_path / "dated.pol"
    pol.write_text(
        'policy d { title: "日期" }\ninput 投产日期: date "项目投产日期"\ninput 投资: money\n'
        'clause c "一" { beneficiary: enterprise  when 投产日期 >= 2022-01-01  grant 投资 × 10% }\n',
        encoding="utf-8",
    )
    facts = tmp_path / "facts.json"
    facts.write_text('{"投产日期": "2022-02-30", "投资": "100万", "备注": "x"}', encoding="utf-8")
    assert main(["eval", str(pol), "--facts", str(facts)]) == 2
    err = capsys.readouterr().err
    assert "投产日期 (项目投产日期): expected a date such as \"2021-11-01\", got '2022-02-30'" in err
    assert "备注: not an input of this policy" in err
