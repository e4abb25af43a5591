"""`pol batch` over populations larger than memory: rows stream through in their input order, a plan specialised
to the population (inputs given in every row, 64-bit decimals where values fit) agrees with the Python
evaluator, and a run that is stopped or runs out of room leaves nothing behind."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from conftest import POLICIES
from test_batch import STEMS, _result

from pol.compiler.cli import main
from pol.compiler.cli.population import _chosen_clauses
from pol.compiler.evaluate.examples import example_date
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source
from pol.compiler.lower import lower
from pol.compiler.population import batch, draw

pq = pytest.importorskip("pyarrow.parquet")
YANTAI = POLICIES / "yantai.pol"


def test_rows_come_out_in_the_order_they_went_in_across_threads(tmp_path) -> None:
    # 国际注册资金支持 reads a category among several (an IN list, which DuckDB may run as a join); 300,000 rows
    # are several row groups, read by both threads.
    program = lower(compile_file(YANTAI).policy, "yantai.pol")
    chosen = _chosen_clauses({"yantai": program}, ["国际注册资金支持", "研发型企业房租补贴"])
    assert isinstance(chosen, dict)
    draw.write(list(chosen.values()), 300_000, tmp_path / "in.parquet", missing=0)
    batch.run(chosen, tmp_path / "in.parquet", tmp_path / "out.parquet", datetime.date(2022, 6, 30))
    rows = pq.read_table(tmp_path / "out.parquet", columns=["row"]).column(0).to_pylist()
    assert rows == list(range(1, 300_001))


@pytest.mark.parametrize("missing", [0, 0.15], ids=["every-fact", "some-missing"])
@pytest.mark.parametrize("stem", STEMS)
def test_a_clean_typed_population_agrees_with_python(stem, missing, tmp_path) -> None:
    """Typed Parquet columns with no bad value: the facts are cast without tests; with every fact given, the
    plan also drops every missing test and computes in 64-bit decimals."""
    compiled = compile_file(POLICIES / f"{stem}.pol")
    program = lower(compiled.policy, f"{stem}.pol")
    if not program.inputs:
        pytest.skip("the policy reads no fact")
    module = load_evaluator(python_source(compiled), f"scale_{stem}")
    as_of = example_date(compiled.policy)
    draw.write([program], 1500, tmp_path / "in.parquet", seed=7, missing=missing)
    batch.run({stem: program}, tmp_path / "in.parquet", tmp_path / "out.parquet", as_of)
    facts = pq.read_table(tmp_path / "in.parquet").to_pylist()
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    wrong = []
    for f, row in zip(facts, rows, strict=True):
        ev = module.evaluate({k: v for k, v in f.items() if v is not None}, as_of=as_of, validated=True)
        for r in ev.results:
            got = _result(row, stem, r.id)
            if (got.status, got.amount, got.max_amount, got.min_amount) != (
                r.status, r.amount, r.max_amount, r.min_amount
            ):  # fmt: skip
                wrong.append((r.id, f))
        if (row[f"{stem}.totals.determined"], row[f"{stem}.totals.maximum"]) != (ev.determined, ev.maximum):
            wrong.append(("totals", f))
    assert wrong[:3] == []


def test_a_run_out_of_room_says_so_and_leaves_no_output_and_no_spill(tmp_path, monkeypatch, capsys) -> None:
    # Half the costs are written 100万 (read by the evaluators' reader and joined back), so the rows are put
    # back in order by a sort, which must spill: 30 MB of memory, 1 MB of disk.
    source = tmp_path / "people.csv"
    with source.open("w", encoding="utf-8") as fh:
        fh.write("新药类别,临床阶段,临床研发费用\n")
        fh.writelines(f"一类新药,III期,{i % 997}万\n一类新药,II期,{i * 7}\n" for i in range(150_000))
    spill = tmp_path / "tmp"
    spill.mkdir()
    monkeypatch.setenv("TMPDIR", str(spill))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    out = tmp_path / "out" / "results.parquet"
    argv = ["batch", str(YANTAI), "--input", str(source), "--out", str(out), "--as-of", "2022-06-30"]
    assert main([*argv, "--clause", "创新药研发", "--memory", "30MB", "--spill-limit", "1MB"]) == 2
    err = capsys.readouterr().err
    assert "the engine ran out of" in err and ("--spill-limit" in err or "--memory" in err)
    assert not out.exists() and list(out.parent.iterdir()) == []  # no staging file
    assert list(spill.iterdir()) == []  # no spill folder


@pytest.mark.long
def test_a_run_stopped_by_sigterm_leaves_nothing_behind(tmp_path) -> None:
    program = lower(compile_file(YANTAI).policy, "yantai.pol")
    draw.write([program], 1_000_000, tmp_path / "in.parquet")
    spill = tmp_path / "tmp"
    spill.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "pol", "batch", str(YANTAI), "--input", str(tmp_path / "in.parquet")]
    command += ["--out", str(out / "results.parquet"), "--as-of", "2022-06-30"]
    process = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(spill)}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(out.iterdir()) and time.monotonic() < deadline:  # the staging file: the output is being written
        time.sleep(0.05)
    assert list(out.iterdir()), "the run never began to write"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "interrupted" in err
    assert list(out.iterdir()) == [] and list(spill.glob("pol-batch-spill-*")) == []


def test_the_drawn_population_puts_received_amounts_below_their_limits(tmp_path) -> None:
    program = lower(compile_file(YANTAI).policy, "yantai.pol")
    draw.write([program], 20_000, tmp_path / "a.parquet", missing=0)
    draw.write([program], 20_000, tmp_path / "b.parquet", missing=0)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    table = pq.read_table(tmp_path / "a.parquet")
    received = table.column("本年已获研发型企业房租补贴").to_pylist()  # against a cap of 50万 a year
    assert max(received) < Decimal(500_000) and received.count(Decimal(0)) > 5_000
    capital = table.column("实缴注册资本").to_pylist()  # 2000万元以上: on the figure and a fen either side
    assert {Decimal("19999999.99"), Decimal(20_000_000), Decimal("20000000.01")} <= set(capital)
    money = table.column("临床研发费用").to_pylist()
    assert Decimal(10_000) <= min(money) and max(money) <= Decimal(5_000_000_000)


def test_the_progress_bar_counts_rows_on_standard_error_only(capsys) -> None:
    from pol.compiler.population.engines import _progress_bar

    with _progress_bar(True, 1000) as watch:
        assert watch is not None
        watch(50.0)
    out, err = capsys.readouterr()
    assert out == ""  # standard output may be the JSON a caller reads
    with _progress_bar(False, 1000) as watch:
        assert watch is None  # no terminal: no bar


def test_division_of_bounded_operands_truncates_as_the_general_one() -> None:
    """divide_scaled (one 128-bit division, for operands of known decimals) gives the general division's value,
    truncated to SCALE decimals toward zero, on operands of every sign and number of decimals."""
    import random
    from decimal import localcontext

    import duckdb

    from pol.compiler.backends.sql import SCALE, divide, divide_scaled

    rng, con = random.Random(3), duckdb.connect()
    for _ in range(300):
        sa, sb = rng.randint(0, 6), rng.randint(0, 6)
        a = Decimal(rng.randint(-(10**12), 10**12)).scaleb(-sa)
        b = Decimal(rng.choice([1, -1]) * rng.randint(1, 10 ** rng.randint(1, 12))).scaleb(-sb)
        x, y = f"CAST('{a}' AS DECIMAL(18, {sa}))", f"CAST('{b}' AS DECIMAL(18, {sb}))"
        fast, general = con.execute(f"SELECT {divide_scaled(x, y, sa, sb)}, {divide(x, y)}").fetchone()
        with localcontext(prec=60):  # enough digits that the quotient is exact before it is cut
            exact = (a / b).quantize(Decimal(1).scaleb(-SCALE), rounding="ROUND_DOWN")
        assert fast == general == exact, (a, b)
