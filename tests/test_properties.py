"""Properties of every bundled policy's evaluator over generated facts, and of thresholds over generated boundaries.

Budget: `POL_FUZZ_EXAMPLES` cases per policy (150 by default); see tests/test_fuzz.py for a long run.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pol.compiler import runtime as rt
from pol.compiler.check.checker import names_in
from pol.compiler.cli import main
from pol.compiler.evaluate.pipeline import compile_file, compile_text, load_evaluator, python_source
from pol.compiler.reading.inventory import inventory

# Generated-case suite: run by `pytest -m long` (and by .ci/run), not by the default run.
pytestmark = pytest.mark.long

EXAMPLES = int(os.environ.get("POL_FUZZ_EXAMPLES", "150"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("POL_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
AS_OF = datetime.date(2022, 6, 30)  # every bundled policy is in force (or a draft) on this day
STEMS = sorted(p.stem for p in POLICIES.glob("*.pol"))


class Loaded:
    """A bundled policy compiled once: checked AST, in-process module, standalone built module, inventory."""

    def __init__(self, stem: str, built: Path):
        self.compiled = compile_file(POLICIES / f"{stem}.pol")
        assert self.compiled.ok
        self.policy = self.compiled.policy
        self.module = load_evaluator(python_source(self.compiled), f"prop_{stem}")
        spec = importlib.util.spec_from_file_location(f"built_{stem}", built / f"{stem}.py")
        assert spec and spec.loader
        self.built = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.built)
        self.maximum = {e.id: e.maximum for e in inventory(self.policy).entries}
        self.grant_only = {c.id: self._grant_only(c) for c in self.policy.clauses}

    def _expand(self, names: list[str]) -> set[str]:
        """Names with the inputs behind every definition they go through."""
        out, todo = set(), list(names)
        while todo:
            n = todo.pop()
            if n not in out:
                out.add(n)
                if n in self.policy.lets:
                    todo.extend(names_in(self.policy.lets[n][1].expr))
        return out

    def _grant_only(self, c) -> set[str]:
        """Money inputs read by the amount alone: not by a condition, cap, offset or document limit."""
        if c.grant is None or c.grant.mode not in ("exact", "up_to"):
            return set()
        limits = [lim.value for lim in self.policy.limits]
        elsewhere = self._expand(names_in((c.conditions, c.caps, c.offsets, tuple(limits))))
        grant = self._expand(names_in(c.grant))
        money = {n for n, spec in self.module.INPUTS.items() if spec.kind == "money"}
        return (grant - elsewhere) & money


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict[str, Loaded]:
    built = tmp_path_factory.mktemp("built")
    assert main(["build", str(POLICIES), "--out", str(built)]) == 0
    sys.path.insert(0, str(built))  # the built modules import pol_runtime from beside them
    try:
        return {stem: Loaded(stem, built) for stem in STEMS}
    finally:
        sys.path.remove(str(built))


def _value(spec: rt.Input) -> st.SearchStrategy:
    fen = st.integers(0, 3 * 10**11).map(lambda f: Decimal(f) / 100)  # up to 30亿元
    return {
        "money": fen,
        "money_per_area": st.integers(0, 10**7).map(lambda f: Decimal(f) / 100),
        "area": st.integers(0, 200_000).map(Decimal),
        "ratio": st.integers(0, 100).map(lambda p: Decimal(p) / 100),
        "years": st.integers(0, 20).map(Decimal),
        "number": st.integers(0, 2000).map(Decimal),
        "date": st.dates(datetime.date(2015, 1, 1), datetime.date(2030, 12, 31)),
        "bool": st.booleans(),
        "enum": st.sampled_from(list(spec.members or ("?",))),
    }[spec.kind]


@st.composite
def facts_for(draw: st.DrawFn, module) -> dict:
    """Facts for a policy: each input present or left out, with values of its kind around real magnitudes."""
    facts = {}
    for name, spec in module.INPUTS.items():
        if draw(st.integers(0, 5)):  # mostly present, sometimes missing
            facts[name] = draw(_value(spec))
    return facts


@pytest.mark.parametrize("stem", STEMS)
def test_evaluator_properties_hold_for_generated_facts(stem, loaded) -> None:
    pol = loaded[stem]

    @PROPERTY
    @given(facts_for(pol.module), st.data())
    def check(facts, data) -> None:
        ev = pol.module.evaluate(facts, as_of=AS_OF)
        for r in ev.results:
            clause = pol.policy.clauses[[c.id for c in pol.policy.clauses].index(r.id)]
            mode = clause.grant.mode if clause.grant else None
            # An amount never exceeds the clause's stated maximum (its caps, tables and tiers at their largest).
            top = pol.maximum[r.id]
            for amount in (r.amount, r.max_amount, r.min_amount):
                if amount is not None:
                    assert amount >= 0
                    if top is not None:
                        assert amount <= top, (r.id, amount, top)
            # 最高/不超过 never reads as a determined amount; only an exact grant is 应得.
            if mode != "exact":
                assert r.status != "granted" and r.amount is None
            # What the explanation says is what the result holds.
            if r.status == "granted":
                assert r.explanation[-1 - bool(r.clause.parties)] == f"应得 {rt.format_money(r.amount)}"
            if r.status == "needs_facts":
                assert r.missing and r.explanation[-1] == "需补充：" + "、".join(r.missing)
            FUZZ_COUNTS[f"evaluator property: clause {r.status}"] += 1
        # Totals are the sum of the cash amounts, less only what a document limit takes away, and say so.
        cash = sum((r.amount for r in ev.results if r.status == "granted" and r.clause.support in rt.CASH), Decimal(0))
        if any("超过" in n and "确定金额" in n for n in ev.notes):
            assert ev.determined < cash
        else:
            assert ev.determined == cash
        # Deterministic, and the built standalone module gives byte-for-byte the same answer.
        again = pol.module.evaluate(dict(facts), as_of=AS_OF).to_json()
        assert again == ev.to_json() == pol.built.evaluate(dict(facts), as_of=AS_OF).to_json()
        # Raising a base that only the amount reads never lowers the amount.
        raisable = sorted({n for c in pol.policy.clauses for n in pol.grant_only[c.id] if n in facts})
        if raisable:
            name = data.draw(st.sampled_from(raisable))
            more = {**facts, name: facts[name] + data.draw(st.integers(1, 10**10).map(Decimal))}
            after = {r.id: r for r in pol.module.evaluate(more, as_of=AS_OF).results}
            for r in ev.results:
                if name in pol.grant_only[r.id] and r.status in ("granted", "discretionary"):
                    a = after[r.id]
                    assert a.status == r.status, (r.id, name)
                    assert (a.max_amount or 0) >= (r.max_amount or 0), (r.id, name, r.max_amount, a.max_amount)
                    FUZZ_COUNTS["evaluator property: raised base checked"] += 1

    check()


# ---------------------------------------------------------------- thresholds at the boundary

WORDS = {
    "以上": lambda v, t: v >= t,
    "以下": lambda v, t: v <= t,
    "以内": lambda v, t: v <= t,
    "超过": lambda v, t: v > t,
    "不满": lambda v, t: v < t,
    "低于": lambda v, t: v < t,
    "不少于": lambda v, t: v >= t,
    "不低于": lambda v, t: v >= t,
    "不超过": lambda v, t: v <= t,
}
POSTFIX = ("以上", "以下", "以内")


def _threshold_policy(word: str, wan: int) -> str:
    condition = f"投资 {wan}万元{word}" if word in POSTFIX else f"投资 {word} {wan}万元"
    return (
        f'policy t {{ title: "门槛" }}\ninput 投资: money\n'
        f'clause c "一" {{ beneficiary: enterprise  when {condition}  grant 10万 }}\n'
    )


_THRESHOLD_MODULES: dict[tuple[str, int], object] = {}


@PROPERTY
@given(st.sampled_from(sorted(WORDS)), st.integers(1, 100_000), st.sampled_from([-1, 0, 1]), st.integers(0, 99))
def test_thresholds_follow_legal_chinese_at_and_around_the_boundary(word, wan, side, fen) -> None:
    """以上/以下/以内 include the number; 超过/不满/低于 exclude it — at the boundary, a fen either side, and beyond."""
    key = (word, wan)
    if key not in _THRESHOLD_MODULES:
        compiled = compile_text(_threshold_policy(word, wan), "t.pol")
        assert compiled.ok, compiled.diagnostics
        _THRESHOLD_MODULES[key] = load_evaluator(python_source(compiled), "threshold")
    threshold = Decimal(wan) * 10_000
    value = threshold + side * Decimal(max(fen, 1)) / 100  # at the boundary, or one fen to a yuan either side
    assume(value >= 0)
    result = _THRESHOLD_MODULES[key].evaluate({"投资": value}).results[0]
    assert (result.status == "granted") == WORDS[word](value, threshold), (word, wan, value)
    FUZZ_COUNTS[f"threshold {'at' if value == threshold else 'beside'} the boundary"] += 1
