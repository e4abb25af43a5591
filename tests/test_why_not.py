"""What would change the answer: each change found gives what it says, the nearest first, and the site's
JavaScript finds the same changes as `pol eval --why-not` on every worked example and on generated facts."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_backends import generated

from pol.compiler.cli import main
from pol.compiler.evaluate import jsrun
from pol.compiler.evaluate.examples import example_date, example_facts
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.evaluate.why_not import hints, why_not
from pol.compiler.lower import lower
from pol.compiler.runtime import read_facts

STEMS = sorted(p.stem for p in POLICIES.glob("*.pol"))
DAY = datetime.date(2022, 6, 30)


def _load(stem: str):
    compiled = compile_file(POLICIES / f"{stem}.pol")
    module = load_evaluator(python_source(compiled), f"why_{stem}")
    return compiled, module, hints(lower(compiled.policy, compiled.source.path))


@pytest.fixture(scope="module")
def yantai():
    return _load("yantai")


def _changes(yantai, clause: str, facts: dict) -> list[str]:
    _, module, hint = yantai
    return [c.text for c in why_not(module, facts, clause, hint[clause], DAY)]


def test_a_threshold_one_fen_away_is_the_answer(yantai) -> None:
    texts = _changes(yantai, "设备投入补助", {"生产性设备投入": "4999999.99"})
    assert texts[0] == "新上或技术改造项目的生产性设备投入（设备投资额）再增加 0.01元（达到 500万元）即可获得 25万元"


def test_each_condition_missed_names_its_own_fact(yantai) -> None:
    facts = {
        "企业类型": "研发型企业",
        "实缴注册资本": "19999999.99",
        "固定资产投资": "1000万",
        "租金单价": "500",
        "租赁面积": "800",
        "本年已获研发型企业房租补贴": 0,
    }
    first = _changes(yantai, "研发型企业房租补贴", facts)[0]
    assert first.startswith("实缴注册资本再增加 0.01元（达到 2000万元）即可获得")


def test_below_a_cap_the_least_value_that_pays_the_most(yantai) -> None:
    facts = {"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "3000万", "该品种已获研发扶持": 0}
    assert _changes(yantai, "创新药研发", facts) == [
        "本阶段单品种临床研发费用达到 5000万元 时可获得 2000万元，为本条在其他情况不变时的最高额"
    ]
    facts["临床研发费用"] = "1亿"  # at its most already: nothing gives more
    assert _changes(yantai, "创新药研发", facts) == []


def test_a_fact_missing_or_out_of_force_has_no_answer(yantai) -> None:
    _, module, hint = yantai
    assert why_not(module, {}, "设备投入补助", hint["设备投入补助"], DAY) == []
    assert why_not(module, {"设备投资额": "1"}, "设备投入补助", hint["设备投入补助"], datetime.date(2030, 1, 1)) == []


@pytest.mark.parametrize("stem", STEMS)
def test_every_change_gives_what_it_says_and_more_than_now(stem) -> None:
    compiled, module, hint = _load(stem)
    as_of = example_date(compiled.policy)
    checked = 0
    for clause in compiled.policy.clauses:
        for ex in clause.examples:
            facts = read_facts(module.INPUTS, example_facts(ex))
            base = module.evaluate(facts, as_of=as_of, clauses=clause.id, validated=True).results[0]
            for change in why_not(module, facts, clause.id, hint[clause.id], as_of, validated=True):
                assert change.to != change.value
                varied = {**facts, change.input: change.to}
                after = module.evaluate(varied, as_of=as_of, clauses=clause.id, validated=True).results[0]
                worth = after.amount if after.status == "granted" else after.max_amount
                assert (str(after.status), worth) == (change.status, change.amount), (clause.id, change)
                before = base.amount if base.status == "granted" else base.max_amount
                assert base.status not in ("granted", "discretionary") or worth > (before or Decimal(0))
                checked += 1
    assert checked or stem in (
        "liaocheng_draft",
        "suzhou_cluster",
        "xuzhou",
        "yantai_chain",
        "yantai_opinion",
        "yantai_parks",
    )


@pytest.mark.parametrize("stem", STEMS)
def test_javascript_finds_the_same_changes_on_every_worked_example(stem) -> None:
    compiled, module, hint = _load(stem)
    as_of = example_date(compiled.policy)
    cases, expected = [], []
    for clause in compiled.policy.clauses:
        for ex in clause.examples:
            facts = example_facts(ex)
            expected.append([c.to_json() for c in why_not(module, facts, clause.id, hint[clause.id], as_of)])
            cases.append(
                {
                    "module": stem,
                    "facts": facts,
                    "as_of": as_of,
                    "why_not": {"clause": clause.id, "hint": hint[clause.id]},
                }
            )
    got = [json.loads(line) for line in jsrun.run([compiled], cases)]
    assert got == expected


@pytest.mark.long
@pytest.mark.parametrize("stem", STEMS)
def test_javascript_finds_the_same_changes_on_generated_facts(stem) -> None:
    compiled, module, hint = _load(stem)
    program = lower(compiled.policy, compiled.source.path)
    if not program.clauses:
        pytest.skip("a policy of measures alone has no amount to change")
    cases, expected = [], []
    for n, (facts, day) in enumerate(generated(stem, module, program, example_date(compiled.policy))):
        if n >= 150:
            break
        clause = program.clauses[n % len(program.clauses)].id
        expected.append([c.to_json() for c in why_not(module, facts, clause, hint[clause], day, validated=True)])
        raw = {
            k: (str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime.date) else v)
            for k, v in facts.items()
        }
        cases.append({"module": stem, "facts": raw, "as_of": day, "why_not": {"clause": clause, "hint": hint[clause]}})
    got = [json.loads(line) for line in jsrun.run([compiled], cases)]
    assert got == expected
    FUZZ_COUNTS["why-not agrees: fact sets"] += len(cases)


def test_pol_eval_why_not_prints_and_writes_the_changes(tmp_path, capsys) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"生产性设备投入": "4999999.99"}, ensure_ascii=False), encoding="utf-8")
    argv = [
        "eval",
        str(POLICIES / "yantai.pol"),
        "--facts",
        str(facts),
        "--as-of",
        "2022-06-30",
        "--clause",
        "设备投入补助",
    ]
    assert main([*argv, "--why-not"]) == 0
    assert "设备投入补助：新上或技术改造项目的生产性设备投入（设备投资额）再增加 0.01元" in capsys.readouterr().out
    assert main([*argv, "--why-not", "--format", "json"]) == 0
    [clause] = json.loads(capsys.readouterr().out)["clauses"]
    assert clause["why_not"][0] | {"text": ""} == {
        "input": "生产性设备投入",
        "kind": "threshold",
        "from": "4999999.99",
        "to": "5000000",
        "status": "granted",
        "amount": "250000",
        "text": "",
    }
    assert main(argv) == 0 and "why_not" not in capsys.readouterr().out
