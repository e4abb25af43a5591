"""`pol prove`: the bundled policies are proved clean, and every counterexample it prints is a worked example that
evaluates as printed when pasted into its clause."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import POLICIES

from pol.compiler.cli import main
from pol.compiler.drafting import prove
from pol.compiler.evaluate.examples import run_examples
from pol.compiler.evaluate.jsrun import run_examples as js_examples
from pol.compiler.evaluate.pipeline import compile_file, compile_text, load_evaluator, python_source
from pol.compiler.lower import lower

BAD = Path(__file__).parent / "bad"
PROVED = sorted([*BAD.glob("POL70*.pol"), *BAD.glob("*_prove_*.pol")])


def test_the_bundled_policies_are_proved_clean(capsys) -> None:
    assert main(["prove", str(POLICIES), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    findings = [f for fs in out["files"].values() for f in fs]
    assert len({(f["clause"]) for f in findings}) > 90
    assert [f for f in findings if f["status"] != "proved"] == []
    # Every clause has each property decided.
    per_clause: dict[str, set[str]] = {}
    for f in findings:
        per_clause.setdefault(f["clause"], set()).add(f["code"])
    assert all(
        codes >= {"POL305", "POL701", "POL702", "POL703", "POL303", "POL304", "POL704", "POL705"}
        for codes in per_clause.values()
    )


def _findings(path: Path) -> list[prove.Finding]:
    compiled = compile_file(path)
    assert compiled.policy is not None
    module = load_evaluator(python_source(compiled))
    return list(prove.Prover(compiled.policy, lower(compiled.policy, str(path)), module).findings())


@pytest.mark.parametrize("path", PROVED, ids=lambda p: p.stem)
def test_a_counterexample_pasted_into_its_clause_passes_as_a_worked_example(path: Path) -> None:
    broken = [f for f in _findings(path) if f.status == "broken" and f.example]
    if not broken:
        pytest.skip("this property is broken with no facts to show (no facts grant anything, a cap never binds)")
    text = path.read_text(encoding="utf-8")
    for finding in broken:
        # Paste the examples as the last items of the clause: they must parse, check and pass as printed.
        start = re.search(rf"clause {finding.clause} .*?\{{", text).end()  # type: ignore[union-attr]
        end = text.index("\n}", start)
        pasted = text[:end] + "\n  " + finding.example.replace("\n", "\n  ") + text[end:]  # type: ignore[union-attr]
        compiled = compile_text(pasted, path.name)
        assert compiled.ok, [d.message for d in compiled.diagnostics]
        assert compiled.policy is not None
        outcomes = run_examples(compiled.policy, load_evaluator(python_source(compiled)))
        assert outcomes and all(o.passed for o in outcomes), [(o.expected, o.got) for o in outcomes if not o.passed]
        # And in the JavaScript evaluator, as the site's calculator computes it.
        in_js = js_examples(compiled)
        assert in_js and all(o.passed for o in in_js), [(o.expected, o.got) for o in in_js if not o.passed]


def test_coverage_leaves_out_what_no_facts_can_exercise_and_says_so(capsys) -> None:
    assert main(["test", str(POLICIES / "yantai.pol"), "--coverage", "--format", "json"]) == 0
    [coverage] = json.loads(capsys.readouterr().out)["coverage"]
    clauses = {x["clause"]: x for x in coverage["clauses"]}
    navigation = clauses["专利导航项目补助"]
    # `grant up to 50万` with `cap 50万 per project`: in one application the cap can never bind.
    assert {"kind": "cap", "what": "上限“单个项目上限”起作用"} in navigation["impossible"]
    assert all(g["what"] != "上限“单个项目上限”起作用" for g in navigation["gaps"])
    assert coverage["proved_impossible"] == sum(len(x["impossible"]) for x in coverage["clauses"]) > 0


def test_money_outside_the_policys_dates_is_caught_when_an_evaluator_lets_it_through() -> None:
    compiled = compile_file(POLICIES / "yantai.pol")
    assert compiled.policy is not None
    program = lower(compiled.policy, "yantai.pol")
    module = load_evaluator(python_source(compiled))
    assert program.effective is not None
    real = module.evaluate

    class Careless:
        """The evaluator with its date gate broken: it evaluates every day as the day the policy took effect."""

        def evaluate(self, facts, as_of=None, **kw):  # noqa: ANN001
            return real(facts, as_of=program.effective, **kw)

        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(module, name)

    good = [f for f in prove.Prover(compiled.policy, program, module).findings() if f.code == "POL707"]
    bad = [f for f in prove.Prover(compiled.policy, program, Careless()).findings() if f.code == "POL707"]
    assert {f.status for f in good} == {"proved"}
    broken = [f for f in bad if f.status == "broken"]
    assert broken and "不在有效期内，以下事实却可获得资助" in broken[0].message.zh


STACKED = """policy p { title: "不重复" effective: 2024-01-01 }
input 研发费用: money "研发费用"
clause 研发资助 "一" {
  original: \"\"\"按研发费用的10%给予资助，最高100万元。\"\"\"
  subject: 研发
  grant 研发费用 × 10%
  cap 100万
}
clause 研发奖励 "二" {
  original: \"\"\"按研发费用的20%给予奖励，最高200万元，与第一条不可重复享受。\"\"\"
  subject: 研发
  exclusive "与第一条不可重复享受"
  grant 研发费用 × 20%
  cap 200万
}
"""


def test_two_grants_for_one_subject_are_caught_when_the_ledger_pays_both(monkeypatch) -> None:
    from pol.compiler.ledger import evaluation

    compiled = compile_text(STACKED, "p.pol")
    assert compiled.policy is not None
    program = lower(compiled.policy, "p.pol")
    module = load_evaluator(python_source(compiled))

    def stacking(prover: prove.Prover) -> list[prove.Finding]:
        return [f for f in prover.findings() if f.code == "POL708"]

    assert {f.status for f in stacking(prove.Prover(compiled.policy, program, module))} == {"proved"}
    monkeypatch.setattr(evaluation._Evaluator, "stack", lambda self, entry: None)  # a ledger that forgets 不重复
    broken = [f for f in stacking(prove.Prover(compiled.policy, program, module)) if f.status == "broken"]
    assert [f.clause for f in broken] == ["研发资助", "研发奖励"]
    assert "按“不可重复享受”应至多支付 0元，台账却支付" in broken[1].message.zh
