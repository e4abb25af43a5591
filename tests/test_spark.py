"""`pol batch --engine spark`: the same SQL on Spark (local mode) gives every worked example its expected amount
and agrees with the Python evaluator on 10,000 generated applicants. Marked long: Spark takes a minute to plan."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_batch import _result, _write, engine_agrees_with_python

from pol.compiler.cli import main
from pol.compiler.evaluate.examples import _matches, example_date, example_facts
from pol.compiler.evaluate.pipeline import compile_file
from pol.compiler.lower import lower

pytestmark = pytest.mark.long
pq = pytest.importorskip("pyarrow.parquet")
if os.environ.get("POL_E2E") is None:  # CI installs PySpark and Java and must run these; elsewhere they may be absent
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java", allow_module_level=True)

DIFFERENTIAL = {"yantai": 6_000, "jiangsu": 4_000}  # 10,000 applicants in all, limits included (jiangsu)


def test_every_worked_example_of_yantai_through_the_command_line(tmp_path, capsys) -> None:
    compiled = compile_file(POLICIES / "yantai.pol")
    policy = compiled.policy
    pairs = [(c, ex) for c in policy.clauses for ex in c.examples]
    program = lower(policy, "yantai.pol")
    _write(tmp_path / "in.csv", [i.name for i in program.inputs], [example_facts(ex) for _, ex in pairs])
    day = example_date(policy).isoformat()
    argv = ["batch", str(POLICIES / "yantai.pol"), "--input", str(tmp_path / "in.csv"), "--as-of", day]
    assert main([*argv, "--out", str(tmp_path / "out.parquet"), "--engine", "spark"]) == 0
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    failed = [
        (c.id, ex.name)
        for (c, ex), row in zip(pairs, rows, strict=True)
        if not _matches(ex.expect, _result(row, "yantai", c.id))
    ]
    assert failed == []
    # The same file on DuckDB, byte for byte in what it says: the engines agree cell by cell.
    assert main([*argv, "--out", str(tmp_path / "duck.parquet")]) == 0
    assert pq.read_table(tmp_path / "duck.parquet").to_pylist() == rows


@pytest.mark.parametrize("stem", sorted(DIFFERENTIAL))
def test_spark_agrees_with_python_on_generated_applicants(stem, tmp_path, monkeypatch) -> None:
    agreed = engine_agrees_with_python(stem, DIFFERENTIAL[stem], tmp_path, monkeypatch, "spark")
    FUZZ_COUNTS["spark agrees: applicants"] += agreed


def test_spark_refuses_a_ragged_csv_and_writes_csv_output(tmp_path, capsys) -> None:
    policy = str(POLICIES / "yantai.pol")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(
        "新药类别,临床阶段,临床研发费用\n一类新药,III期,100000000,5\n一类新药,III期,1\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    assert main(["batch", policy, "--input", str(ragged), "--out", str(out), "--engine", "spark"]) == 2
    err = capsys.readouterr().err
    assert "more or fewer fields than its header" in err and "Traceback" not in err
    assert not out.exists()
    good = tmp_path / "good.csv"
    good.write_text('新药类别,临床阶段,临床研发费用\n一类新药,III期,"1亿"\n', encoding="utf-8")
    assert main(["batch", policy, "--input", str(good), "--out", str(out), "--engine", "spark"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "yantai.创新药研发.min_amount" in text.splitlines()[0]  # a column no clause fills is still written
    assert "granted,20000000.00" in text
