"""A clause run plain (no explanation recorded) gives what it gives run with a trace, and the explanation written
later by replaying it is the traced run's, on every worked example and on generated facts at every threshold."""

from __future__ import annotations

import datetime

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_backends import generated

from pol.compiler import runtime as rt
from pol.compiler.evaluate.examples import example_date, example_facts
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.lower import lower

STEMS = sorted(p.stem for p in POLICIES.glob("*.pol"))


def _shape(r: rt.ClauseResult) -> tuple:
    return (r.id, r.status, r.amount, r.max_amount, r.min_amount, r.missing)


@pytest.mark.parametrize("stem", STEMS)
def test_plain_runs_and_replayed_explanations_equal_traced_runs(stem, monkeypatch) -> None:
    import test_backends

    monkeypatch.setattr(test_backends, "CASES", 150)
    compiled = compile_file(POLICIES / f"{stem}.pol")
    module = load_evaluator(python_source(compiled), f"plain_{stem}")
    program = lower(compiled.policy, f"{stem}.pol")
    examples = [example_facts(ex) for c in compiled.policy.clauses for ex in c.examples]
    cases = [rt.read_facts(module.INPUTS, f) for f in examples]
    cases += [f for f, _ in generated(stem, module, program, example_date(compiled.policy))]
    for raw in cases:
        f = module._EVALUATOR.defaults | dict(raw)
        traced_results = []
        with rt.exact():
            module._lets(f)
            for _, run in module.CLAUSES:
                plain, traced = run(f, rt.PLAIN), run(f, rt.Trace())
                assert _shape(plain) == _shape(traced), raw
                assert rt.Replay(run, f).lines() == traced.trace.lines(), raw
                traced_results.append(traced)
        # Through evaluate(): results come plain, and the explanation read later is the traced run's.
        ev = module.evaluate(raw, as_of=datetime.date(2022, 6, 30), validated=True)
        if ev.results and ev.results[0].status not in rt.OUT_OF_FORCE:
            for result, traced in zip(ev.results, traced_results, strict=True):
                assert isinstance(result.trace, rt.Replay)
                assert (_shape(result), result.explanation) == (_shape(traced), traced.explanation), raw
    FUZZ_COUNTS["plain and traced runs agree: fact sets"] += len(cases)
