"""Every error code has a small wrong policy in tests/bad/ that must produce exactly the diagnostics it lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pol.compiler.drafting.lint import lint
from pol.compiler.evaluate.pipeline import compile_file
from pol.dsl.diagnostics import CODES

BAD = Path(__file__).parent / "bad"
EXPECTED = re.compile(r"^# (?:error|warning): (POL\d+) (\d+):(\d+) (.*)$", re.M)


def expectations(path: Path) -> list[tuple[str, int, int, str]]:
    return [(c, int(line), int(col), m) for c, line, col, m in EXPECTED.findall(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", sorted(BAD.glob("*.pol")), ids=lambda p: p.stem)
def test_bad_policy_gives_exactly_its_diagnostics(path: Path) -> None:
    compiled = compile_file(path)
    diagnostics = list(compiled.diagnostics)
    if path.stem.startswith("POL6"):  # the fidelity codes come from `pol lint`
        assert compiled.ok and compiled.policy is not None
        diagnostics += lint(compiled.policy, compiled.source)
    if path.stem.startswith("POL7") or "_prove_" in path.stem:  # the properties come from `pol prove`
        assert compiled.ok and compiled.policy is not None
        diagnostics += proved(compiled)
    got = [(d.code, d.span.line, d.span.column, d.message) for d in diagnostics]
    assert got == expectations(path)


def proved(compiled) -> list:
    from pol.compiler.drafting import prove
    from pol.compiler.evaluate.pipeline import load_evaluator, python_source
    from pol.compiler.lower import lower

    program = lower(compiled.policy, compiled.source.path)
    prover = prove.Prover(compiled.policy, program, load_evaluator(python_source(compiled)))
    return prove.diagnostics(compiled.policy, list(prover.findings()), compiled.source)


# Codes no policy text can produce: they guard what the evaluators do by construction, and their tests break
# the evaluators on purpose instead (tests/test_prove.py: a date gate that lets money through, a ledger that
# pays one subject twice).
GUARDS = {"POL707", "POL708"}


def test_every_code_has_a_bad_policy() -> None:
    covered = {code for path in BAD.glob("*.pol") for code, *_ in expectations(path)}
    assert covered == set(CODES) - GUARDS


def test_each_file_is_named_for_the_code_it_shows() -> None:
    for path in BAD.glob("*.pol"):
        assert path.stem.split("_")[0] in {c for c, *_ in expectations(path)}, path
