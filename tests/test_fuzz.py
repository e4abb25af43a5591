"""Fuzzing the front end: random and mutated policies end in diagnostics or success, never in an exception.

Each case is parsed and checked; a file that checks is also compiled to Python (and the module
compiled to bytecode) and linted; a file that does not gets every diagnostic rendered with its
source line. The number of cases is `POL_FUZZ_EXAMPLES` per property (150 by default, so the suite
stays quick); a long run is

    POL_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py -p no:cacheprovider

and the counts of cases tried, by outcome, are printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from pol.compiler.check.report import render_text
from pol.compiler.drafting.lint import lint
from pol.compiler.evaluate.pipeline import compile_text, python_source
from pol.dsl.grammar import grammar_text

# Generated-case suite: run by `pytest -m long` (and by .ci/run), not by the default run.
pytestmark = pytest.mark.long

EXAMPLES = int(os.environ.get("POL_FUZZ_EXAMPLES", "150"))
# A hang guard, not a speed test: the largest bundled policy checks in about 0.1 s.
HANG = 20.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("POL_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Tokens as a drafter's editor would see them: strings, numbers with units, words, punctuation, spaces.
TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|\d+(?:\.\d+)?[^\W\d_]*|[^\W\d]\w*|\s+|.', re.S)
CORPUS = {p.stem: TOKEN.findall(p.read_text(encoding="utf-8")) for p in sorted(POLICIES.glob("*.pol"))}
# The smaller policies are mutated most often, so that many cases fit in the budget.
SMALL = [k for k, toks in CORPUS.items() if len(toks) < 4000] or list(CORPUS)
ODDITIES = [
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u3000",
    "\x00",
    "\r",
    "\t",
    "\u0301",
    "＂",
    "（",
    "）",
    "｛",
    "｝",
    "\U0001f600",
    "\ud7ff",
    "\\",
    '"""',
    "#",
    "9" * 400,
    "9" * 40 + "亿",
    "-" + "9" * 30 + "万",
    "(" * 300,
    ")" * 300,
    "0.000000000000000000001",
    "1e999",
    "١٢٣",
    "Ⅲ",
    "𠀀",
]


def run_front_end(text: str, outcome: str) -> None:
    """Check `text` as `pol check` does, and everything after it; fail on any exception or a hang."""
    start = time.perf_counter()
    compiled = compile_text(text, "fuzz.pol")
    if compiled.ok:
        assert compiled.policy is not None
        compile(python_source(compiled), "<generated>", "exec")
        lint(compiled.policy, compiled.source)
        FUZZ_COUNTS[f"{outcome}: checked without errors"] += 1
    else:
        assert any(d.severity == "error" for d in compiled.diagnostics)
        shown = render_text(compiled.diagnostics, {"fuzz.pol": compiled.source})
        assert shown.startswith("fuzz.pol:")
        FUZZ_COUNTS[f"{outcome}: refused with diagnostics"] += 1
    assert time.perf_counter() - start < HANG


@st.composite
def mutated(draw: st.DrawFn) -> str:
    tokens = list(CORPUS[draw(st.sampled_from(SMALL if draw(st.integers(0, 9)) else list(CORPUS)))])
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(tokens) - 1))
        how = draw(st.sampled_from(["drop", "duplicate", "swap", "truncate", "insert", "replace", "nest"]))
        if how == "drop":
            del tokens[i]
        elif how == "duplicate":
            tokens.insert(i, tokens[i])
        elif how == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif how == "truncate":
            tokens = tokens[:i]
        elif how == "insert":
            tokens.insert(i, draw(st.sampled_from(ODDITIES) | st.text(max_size=5)))
        elif how == "replace":
            tokens[i] = draw(st.sampled_from(ODDITIES) | st.sampled_from(tokens))
        else:  # a deeply nested expression where a value was
            depth = draw(st.integers(50, 600))
            tokens[i] = "(" * depth + tokens[i] + ")" * depth
        if not tokens:
            break
    return "".join(tokens)


@FUZZ
@given(mutated())
def test_mutated_policies_never_crash_the_checker(text: str) -> None:
    run_front_end(text, "mutated bundled policy")


@FUZZ
# A parser built here, not the cached one: hypothesis reads the grammar's rules, which a cached Lark does not keep.
@given(from_lark(Lark(grammar_text(), parser="lalr"), start="start"))
def test_grammar_generated_policies_never_crash_the_checker(text: str) -> None:
    run_front_end(text, "generated from the grammar")


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes_the_checker(text: str) -> None:
    run_front_end(text, "arbitrary text")


@FUZZ
@given(
    st.lists(
        st.sampled_from(sorted({t for toks in CORPUS.values() for t in toks if t.strip()})[:3000]), max_size=60
    ).map(" ".join)
)
def test_shuffled_policy_tokens_never_crash_the_checker(text: str) -> None:
    run_front_end(text, "shuffled policy tokens")


def test_every_bundled_policy_passes_the_same_harness() -> None:
    # The harness itself must accept what is right, or the properties above prove nothing.
    for path in sorted(POLICIES.glob("*.pol")):
        compiled = compile_text(path.read_text(encoding="utf-8"), "fuzz.pol")
        assert compiled.ok, path
    assert "".join(CORPUS["yantai"]) == (POLICIES / "yantai.pol").read_text(encoding="utf-8")


def test_corpus_is_what_the_mutations_start_from() -> None:
    assert set(CORPUS) == {p.stem for p in Path(POLICIES).glob("*.pol")} and SMALL
