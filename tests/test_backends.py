"""The backends agree: the JavaScript evaluator gives byte for byte the JSON of the Python one (status, amounts,
maxima, explanation, totals) on every worked example and on generated facts at every threshold's edge."""

from __future__ import annotations

import datetime
import json
import os
import random
from decimal import Decimal

import pytest
from conftest import FUZZ_COUNTS, POLICIES

from pol.compiler import ir
from pol.compiler.evaluate import jsrun
from pol.compiler.evaluate.examples import example_date, example_facts
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.lower import lower
from pol.compiler.population.synth import STEP, thresholds

STEMS = sorted(p.stem for p in POLICIES.glob("*.pol"))
# Generated fact sets per policy; the bundled policies make over 10,000 in all per run.
CASES = int(os.environ.get("POL_DIFF_CASES", "1200"))
# The largest amount the evaluators read is below 1000万亿 with at most 6 decimals; this is near it.
HUGE = Decimal("99999999999999.99")


def _python_json(module, facts, as_of, clauses=None) -> str:
    ev = module.evaluate(facts, as_of=as_of, clauses=clauses, validated=True)
    return json.dumps(ev.to_json(), ensure_ascii=False, separators=(",", ":"))


def _value(rng: random.Random, spec, edges: set):
    kind = spec.kind
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "enum":
        return rng.choice(spec.members)
    if kind == "date":
        return datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(16 * 365))
    numeric = sorted(e for e in edges if isinstance(e, Decimal))
    pick = rng.random()
    if numeric and pick < 0.6:  # at an edge, or one step either side of it
        edge = rng.choice(numeric) + rng.choice((-1, 0, 0, 1)) * STEP[kind]
        return max(edge, Decimal(0))
    if pick < 0.7:
        return Decimal(0)
    if pick < 0.75:
        return HUGE if kind in ("money", "money_per_area") else Decimal(10**6)
    if kind == "ratio":
        return Decimal(rng.randrange(0, 10001)) / 10000
    if kind in ("years", "number"):
        return Decimal(rng.randrange(0, 30))
    return Decimal(rng.randrange(0, 10 ** rng.randrange(1, 12))) / (100 if kind.startswith("money") else 1)


def generated(stem: str, module, program: ir.Program, effective: datetime.date):
    """Deterministic fact sets: facts missing, at zero, huge, and at and beside every threshold."""
    rng = random.Random(f"pol-diff-{stem}")
    edges = thresholds(program)
    days = [effective, datetime.date(2022, 6, 30), effective - datetime.timedelta(days=1), datetime.date(2035, 1, 1)]
    for _ in range(CASES):
        facts = {
            name: _value(rng, spec, edges.get(name, set()))
            for name, spec in module.INPUTS.items()
            if rng.random() > 0.15
        }
        yield facts, rng.choice(days)


@pytest.mark.parametrize("stem", STEMS)
def test_javascript_agrees_with_python_on_every_worked_example(stem) -> None:
    compiled = compile_file(POLICIES / f"{stem}.pol")
    module = load_evaluator(python_source(compiled), f"diff_{stem}")
    policy = compiled.policy
    as_of = example_date(policy)
    cases = [
        {"module": stem, "facts": example_facts(ex), "as_of": as_of, "clauses": [c.id], "validated": True}
        for c in policy.clauses
        for ex in c.examples
    ]
    got = jsrun.run([compiled], cases)
    for case, js_json in zip(cases, got, strict=True):
        assert js_json == _python_json(module, case["facts"], as_of, set(case["clauses"])), case


@pytest.mark.long
@pytest.mark.parametrize("stem", STEMS)
def test_javascript_agrees_with_python_on_generated_facts_at_every_edge(stem) -> None:
    compiled = compile_file(POLICIES / f"{stem}.pol")
    module = load_evaluator(python_source(compiled), f"diff_{stem}")
    program = lower(compiled.policy, compiled.source.path)
    cases = [
        {"module": stem, "facts": facts, "as_of": day, "clauses": None, "validated": True}
        for facts, day in generated(stem, module, program, example_date(compiled.policy))
    ]
    got = jsrun.run([compiled], cases)
    statuses: dict[str, int] = {}
    for case, js_json in zip(cases, got, strict=True):
        py_json = _python_json(module, case["facts"], case["as_of"])
        assert js_json == py_json, (case["facts"], case["as_of"])
        for clause in json.loads(py_json)["clauses"]:
            statuses[clause["status"]] = statuses.get(clause["status"], 0) + 1
    FUZZ_COUNTS["backends agree: fact sets"] += len(cases)
    for status, n in statuses.items():
        FUZZ_COUNTS[f"backends agree: clause {status}"] += n


def test_build_and_test_for_javascript_from_the_command_line(tmp_path, capsys) -> None:
    from pol.compiler.cli import main

    assert main(["test", str(POLICIES)]) == 0
    python_summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["test", str(POLICIES), "--target", "js"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == python_summary  # "算例通过 194 个，未通过 0 个"
    out = tmp_path / "js"
    assert main(["build", str(POLICIES), "--target", "js", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [".pol-output", "pol_runtime.mjs", "decimal.mjs", "decimal.LICENCE.txt", *(f"{s}.mjs" for s in STEMS)]
    )
    # The built module runs in Node on its own, with nothing but the files beside it.
    script = (
        f"import {{ evaluate }} from {json.dumps((out / 'yantai.mjs').as_uri())};"
        "const ev = evaluate({新药类别: '一类新药', 临床阶段: 'Ⅲ期', 临床研发费用: '1 亿元'},"
        " {asOf: '2022-01-01', clauses: ['创新药研发']});"
        "console.log(JSON.stringify(ev.toJSON().clauses[0]));"
    )
    import subprocess

    done = subprocess.run(
        [jsrun.node(), "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["amount"]) == ("granted", "20000000.00")
    assert result["explanation"][1] == "4000万元 超过本阶段上限 2000万元，按 2000万元 计"


def _figures_as_typed() -> list[str]:
    """Figures written every way the runtimes read, and some they refuse, for comparing the two readers."""
    import cn2an

    rng = random.Random(7)
    numbers = [0, 1, 10, 15, 40, 500, 3000, 10_050, 150_000_000] + [rng.randrange(10**9) for _ in range(40)]
    out = []
    for n in numbers:
        for written in (str(n), f"{n:,}", cn2an.an2cn(n, "low"), cn2an.an2cn(n, "up")):
            for prefix in ("", "百分之", " "):
                for suffix in ("", "万", "萬元", "亿元", "%", "万美元", "年", "点五万", ".5", "元/平方米·月", "亩"):
                    out.append(prefix + written + suffix)
    return out + ["万", "三三", "零.5", "十二点五", "１．５億", "一千零五十万", "百分之十二点五", "－3万"]


def test_javascript_reads_figures_as_python_does() -> None:
    from pol.compiler import runtime as rt
    from pol.compiler.backends import js

    typed = _figures_as_typed()
    script = (
        f"import {{ parseQuantityText, CN_NUMBER }} from {json.dumps((js.RUNTIME_DIR / 'pol_runtime.mjs').as_uri())};"
        "import { readFileSync } from 'node:fs'; const typed = JSON.parse(readFileSync(0, 'utf8'));"
        "const read = typed.map((t) => { try { const [v, k, c, a] = parseQuantityText(t);"
        " return [v.toFixed(), k, c, a]; } catch (e) { return null; } });"
        "console.log(JSON.stringify({ CN_NUMBER, read }));"
    )
    import subprocess

    done = subprocess.run(
        [jsrun.node(), "--input-type=module", "-e", script],
        input=json.dumps(typed),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["CN_NUMBER"] == rt.CN_NUMBER

    def python(text: str) -> list[str | None] | None:
        try:
            value, kind, currency, area = rt.parse_quantity_text(text)
        except ValueError:
            return None
        return [format(value.normalize(), "f"), kind, currency, area]

    def js_side(read: list[str | None] | None) -> list[str | None] | None:
        return None if read is None else [format(Decimal(read[0]).normalize(), "f"), *read[1:]]

    assert len(got["read"]) == len(typed)
    disagree = [(t, python(t), js_side(r)) for t, r in zip(typed, got["read"], strict=True) if python(t) != js_side(r)]
    assert disagree == []
    accepted = sum(r is not None for r in got["read"])
    assert 0.3 < accepted / len(typed) < 0.9  # both sides of the reader are exercised
