"""The Python API: docs/api.md's examples run as doctests, and what the API promises holds."""

from __future__ import annotations

import datetime
import doctest
from decimal import Decimal
from pathlib import Path

import pytest

import pol

ROOT = Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("where", ["docs/api.md", "pol/__init__.py"])
def test_the_documented_examples_run(where, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = (
        doctest.testfile(
            str(ROOT / where), module_relative=False, optionflags=FLAGS, verbose=False, globs={}, encoding="utf-8"
        )
        if where.endswith(".md")
        else doctest.testmod(pol, optionflags=FLAGS)
    )
    assert result.attempted > 0 and result.failed == 0


@pytest.fixture(scope="module")
def yantai() -> pol.Policy:
    return pol.load_policy(ROOT / "policies" / "yantai.pol")


def test_clauses_are_chosen_by_exact_id_in_the_documents_order(yantai) -> None:
    ids = [c.id for c in yantai.clauses]
    asked = [ids[5], ids[0]]
    ev = yantai.evaluate({}, clauses=asked)
    assert [r.id for r in ev.results] == [ids[0], ids[5]]
    # A string is one id, never a set of characters or a substring: "创新药研发" does not pick other clauses.
    assert [r.id for r in yantai.evaluate({}, clauses=ids[0]).results] == [ids[0]]
    with pytest.raises(pol.UnknownClauseError):
        yantai.evaluate({}, clauses=ids[0][:-1])
    with pytest.raises(pol.UnknownClauseError):
        yantai.evaluate({}).result("不存在的条款")


def test_statuses_are_the_enum_and_equal_their_json_strings(yantai) -> None:
    ev = yantai.evaluate(
        {"新药类别": "一类新药", "临床阶段": "I期", "临床研发费用": "100万", "该品种已获研发扶持": 0},
        as_of=datetime.date(2022, 1, 1),
    )
    statuses = {r.status for r in ev.results}
    assert all(isinstance(s, pol.Status) for s in statuses)
    assert pol.Status.GRANTED in statuses and pol.Status.NEEDS_FACTS in statuses
    granted = ev.result("创新药研发")
    assert granted.amount == Decimal("400000.00") and granted.to_json()["status"] == "granted"
    expired = yantai.evaluate({}, as_of=datetime.date(1999, 1, 1)).results[0]
    assert expired.status is pol.Status.NOT_YET_EFFECTIVE


def test_a_built_module_has_the_same_shape(tmp_path, yantai) -> None:
    import importlib
    import sys

    from pol.compiler.cli import main

    assert main(["build", str(ROOT / "policies" / "yantai.pol"), "--out", str(tmp_path / "out")]) == 0
    sys.path.insert(0, str(tmp_path / "out"))
    saved = sys.modules.pop("pol_runtime", None)
    try:
        built = importlib.import_module("yantai")
        facts = {"新药类别": "一类新药", "临床阶段": "III期", "临床研发费用": "1亿", "该品种已获研发扶持": 0}
        ours = built.evaluate(facts, as_of=datetime.date(2022, 1, 1), clauses="创新药研发")
        api = yantai.evaluate(facts, as_of=datetime.date(2022, 1, 1), clauses="创新药研发")
        assert ours.to_json() == api.to_json()
        assert ours.results[0].status == pol.Status.GRANTED and type(ours.results[0].status).__name__ == "Status"
        with pytest.raises(LookupError, match="did you mean"):
            built.evaluate(facts, clauses=["创新药研"])
    finally:
        sys.path.remove(str(tmp_path / "out"))
        sys.modules.pop("yantai", None)
        sys.modules.pop("pol_runtime", None)
        if saved is not None:
            sys.modules["pol_runtime"] = saved


def test_a_folder_with_two_policies_of_one_name_is_a_policy_error(tmp_path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "same.pol").write_bytes((ROOT / "policies" / "xuzhou.pol").read_bytes())
    with pytest.raises(pol.PolicyError, match="both called 'same'"):
        pol.load(tmp_path)


def test_importing_pol_does_not_load_the_compiler() -> None:
    import subprocess
    import sys

    code = "import sys, pol; print(any(m.startswith('pol.compiler') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
