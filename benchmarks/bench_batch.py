"""Populations through `pol batch`, against a hand-written DuckDB query of the same rule, in one run.

Run: .venv/bin/python benchmarks/bench_batch.py [--sizes 1000000 10000000] [--huge] [--spark] [--postgres]

The rule is Yantai 四(二) 研发型企业房租补贴: 50% of the rent (元/平方米 × 平方米, the area at most what is left of
500 平方米 this year), at most what is left of 50万 this year, for 研发型企业 with 2000万元 capital and 1000万元 of fixed
investment or more. Half of an odd number of fen is a half-fen tie, so a float64 engine rounds some rows wrong:
the exactness checks can fail. Every side computes the same rule for the same applicants (drawn by `pol synth`'s
engine, every fact given):

- `pol batch` on the policy file, whole process (`python -m pol batch …`, the rule chosen with --clause), reading
  Parquet and writing Parquet; the same for the whole policy (33 clauses, 78 inputs);
- a hand-written DuckDB query of the rule, whole process, reading and writing the same files and columns; and
  one of all 33 clauses (benchmarks/yantai_hand.py), writing the 135 columns pol batch writes, compared with
  pol batch's output cell by cell;
- NumPy in integer fen and in float64, Polars in float64, from arrays already in memory;
- the Python evaluator, applicant by applicant, on fewer rows.

Each command runs as its own process and reports its own peak memory. Every `pol batch` row is checked against
NumPy's integer-fen arithmetic; float64 answers are counted wrong where they differ from it. `--huge` adds 100M
rows; `--spark` Spark's fixed cost and rows/s at 100k and 1M; `--postgres` PostgreSQL at 1M (a server of its
own, as the tests start one).
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from pol.compiler.cli.population import _chosen_clauses  # noqa: E402
from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source  # noqa: E402
from pol.compiler.lower import lower  # noqa: E402
from pol.compiler.population import draw  # noqa: E402

POLICY = ROOT / "policies" / "yantai.pol"
CLAUSE = "研发型企业房租补贴"
AS_OF = "2022-06-30"
COLUMNS = (
    "企业类型",
    "实缴注册资本",
    "固定资产投资",
    "租金单价",
    "租赁面积",
    "本年已获补贴租赁面积",
    "本年已获研发型企业房租补贴",
)

HAND = """
SET preserve_insertion_order = true;
COPY (
  SELECT row, status, amount, amount AS max_amount, CAST(NULL AS DECIMAL(18, 2)) AS min_amount,
         COALESCE(amount, 0) AS determined, COALESCE(amount, 0) AS maximum
  FROM (
    SELECT row_number() OVER () AS row,
      CASE WHEN 企业类型 = '研发型企业' AND 实缴注册资本 >= 20000000 AND 固定资产投资 >= 10000000
           THEN 'granted' ELSE 'not_eligible' END AS status,
      CASE WHEN 企业类型 = '研发型企业' AND 实缴注册资本 >= 20000000 AND 固定资产投资 >= 10000000
           THEN LEAST(ROUND(租金单价 * LEAST(租赁面积, GREATEST(500 - 本年已获补贴租赁面积, 0)) * 0.5, 2),
                      500000, GREATEST(500000 - 本年已获研发型企业房租补贴, 0)) END AS amount
    FROM read_parquet('{source}')
  )
) TO '{out}' (FORMAT PARQUET);
"""


# As users run commands: with Python's bytecode cache, even where the environment turns it off.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GNU_TIME = "/usr/bin/time"  # Debian's `time` package


def timed(command: list[str]) -> tuple[float, float]:
    """Run a command as its own process: (seconds, its peak memory in MB); fails loudly if the command does.

    The peak is GNU time's report: a child forked from this process counts this process's own memory in its
    peak (Linux charges the pages it had at the fork), so wait4's figure repeats the benchmark's own size.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        start = time.perf_counter()
        run = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", peak.name, *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            raise SystemExit(f"{command[:4]} failed: {run.stderr.decode()[-2000:]}")
        return seconds, int(peak.read().split()[-1]) / 1024


def pol_batch(source: Path, out: Path, *extra: str) -> tuple[float, float]:
    command = [sys.executable, "-m", "pol", "batch", str(POLICY), "--input", str(source), "--out", str(out)]
    return timed([*command, "--as-of", AS_OF, *extra])


def hand(source: Path, out: Path) -> tuple[float, float]:
    script = f"import duckdb; duckdb.connect().execute({HAND.format(source=source, out=out)!r})"
    return timed([sys.executable, "-c", script])


def columns(source: Path) -> dict[str, np.ndarray]:
    """The rule's facts as NumPy arrays, each number in hundredths (fen for money), read exactly by DuckDB."""
    import duckdb

    cents = ", ".join(f'CAST("{c}" * 100 AS BIGINT) AS "{c}"' for c in COLUMNS[1:])
    query = f"SELECT 企业类型 = '研发型企业' AS 研发型企业, {cents} FROM read_parquet('{source}')"
    return {k: np.asarray(v) for k, v in duckdb.connect().execute(query).fetchnumpy().items()}


def integer_fen(c: dict[str, np.ndarray]) -> np.ndarray:
    """The rule in NumPy int64 fen: exact, the reference. -1 where nothing is granted."""
    ok = c["研发型企业"] & (c["实缴注册资本"] >= 2_000_000_000) & (c["固定资产投资"] >= 1_000_000_000)
    area = np.minimum(c["租赁面积"], np.maximum(50_000 - c["本年已获补贴租赁面积"], 0)) // 100  # whole 平方米
    half = (c["租金单价"] * area + 1) // 2  # 50%, half a fen up
    amount = np.minimum(np.minimum(half, 50_000_000), np.maximum(50_000_000 - c["本年已获研发型企业房租补贴"], 0))
    return np.where(ok, amount, -1)


def numpy_float(c: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """The rule in float64 yuan, vectorised, rounded to the fen: fast and sometimes wrong. (fen, seconds)"""
    f = {k: v / 100.0 for k, v in c.items() if k != "研发型企业"}
    start = time.perf_counter()
    ok = c["研发型企业"] & (f["实缴注册资本"] >= 2e7) & (f["固定资产投资"] >= 1e7)
    amount = np.round(
        f["租金单价"] * np.minimum(f["租赁面积"], np.maximum(500.0 - f["本年已获补贴租赁面积"], 0.0)) * 0.5, 2
    )
    amount = np.minimum(np.minimum(amount, 500_000.0), np.maximum(500_000.0 - f["本年已获研发型企业房租补贴"], 0.0))
    result = np.where(ok, np.round(amount * 100), -1).astype(np.int64)
    return result, time.perf_counter() - start


def polars_float(c: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """The same in Polars expressions over float64 columns. (fen, seconds)"""
    import polars as pl

    frame = pl.DataFrame({k: (v / 100.0 if k != "研发型企业" else v) for k, v in c.items()})
    start = time.perf_counter()
    ok = pl.col("研发型企业") & (pl.col("实缴注册资本") >= 2e7) & (pl.col("固定资产投资") >= 1e7)
    area = pl.min_horizontal(pl.col("租赁面积"), pl.max_horizontal(500.0 - pl.col("本年已获补贴租赁面积"), pl.lit(0.0)))
    amount = (pl.col("租金单价") * area * 0.5).round(2)
    left = pl.max_horizontal(500_000.0 - pl.col("本年已获研发型企业房租补贴"), pl.lit(0.0))
    amount = pl.min_horizontal(amount, pl.lit(500_000.0), left)
    result = frame.select(pl.when(ok).then((amount * 100).round(0)).otherwise(-1.0).alias("a"))["a"].to_numpy()
    return result.astype(np.int64), time.perf_counter() - start


def results_fen(out: Path, column: str) -> np.ndarray:
    import duckdb

    """A results column in fen, -1 where empty, in the order of its rows."""
    query = f"SELECT COALESCE(CAST(\"{column}\" * 100 AS BIGINT), -1) AS a FROM read_parquet('{out}')"
    return np.asarray(duckdb.connect().execute(query).fetchnumpy()["a"])


def python_loop(table: Any, rows: int) -> float:
    compiled = compile_file(POLICY)
    module = load_evaluator(python_source(compiled), "yantai")
    records = [{k: v for k, v in r.items() if v is not None} for r in table.to_pylist()]
    start = time.perf_counter()
    for r in records:
        module.evaluate(r, as_of=datetime.date(2022, 6, 30), clauses={CLAUSE}, validated=True)
    return rows / (time.perf_counter() - start)


def row(name: str, rows: int, seconds: float, peak: float | None, note: str = "") -> None:
    memory = f"{peak:7,.0f} MB" if peak is not None else "          "
    print(f"  {name:44s} {rows / seconds:12,.0f} rows/s  {seconds:8.2f} s  {memory}  {note}")


def size(rows: int, folder: Path, program: Any, rent: Any, args: argparse.Namespace) -> None:
    print(f"\n{rows:,} applicants")
    one, whole = folder / f"rent-{rows}.parquet", folder / f"all-{rows}.parquet"
    draw.write([rent], rows, one, seed=11, missing=0)
    out, hand_out = folder / "out.parquet", folder / "hand-all.parquet"
    seconds, peak = pol_batch(one, out, "--clause", CLAUSE)
    got = results_fen(out, f"yantai.{CLAUSE}.amount")
    hand_s, hand_peak = hand(one, folder / "hand.parquet")
    hand_got = results_fen(folder / "hand.parquet", "amount")
    facts = columns(one)
    start = time.perf_counter()
    exact = integer_fen(facts)
    reference = time.perf_counter() - start
    row(f"pol batch --clause {CLAUSE}", rows, seconds, peak, f"{int(np.sum(got != exact)):,} rows wrong at the fen")
    row("hand-written DuckDB query, same rule", rows, hand_s, hand_peak, f"{int(np.sum(hand_got != exact)):,} wrong")
    print(f"  {'':44s} pol batch / hand-written: {seconds / hand_s:.2f}× the time")
    row("NumPy int64 fen, arrays in memory", rows, reference, None, "the reference")
    floats, took = numpy_float(facts)
    row("NumPy float64, arrays in memory", rows, took, None, f"{int(np.sum(floats != exact)):,} rows wrong at the fen")
    polar, took = polars_float(facts)
    row("Polars float64, frame in memory", rows, took, None, f"{int(np.sum(polar != exact)):,} rows wrong at the fen")
    if args.loop_rows:
        rate = python_loop(pq.read_table(one).slice(0, args.loop_rows), args.loop_rows)
        print(f"  {'Python evaluator, one by one':44s} {rate:12,.0f} rows/s  ({args.loop_rows:,} rows)")
    del facts
    # The whole policy: every fact given, so that the hand-written query (which reads no missing fact) and
    # pol batch answer the same question; every row and column of the two outputs is compared.
    draw.write([program], rows, whole, seed=11, missing=0)
    seconds, peak = pol_batch(whole, out)
    hand_s, hand_peak = timed([sys.executable, str(ROOT / "benchmarks" / "yantai_hand.py"), str(whole), str(hand_out)])
    differ = differing(out, hand_out)
    row(
        "pol batch yantai.pol (33 clauses, 78 inputs)",
        rows,
        seconds,
        peak,
        f"{differ:,} cells differ from the hand-written query",
    )
    row("hand-written DuckDB query, same 33 clauses", rows, hand_s, hand_peak, "writes the same 135 columns")
    print(f"  {'':44s} pol batch / hand-written: {seconds / hand_s:.2f}× the time")
    for path in (one, whole, out, folder / "hand.parquet", hand_out):
        path.unlink(missing_ok=True)


def differing(ours: Path, theirs: Path) -> int:
    """The cells (row by column) in which two outputs of the same columns differ, NULL equal to NULL."""
    import duckdb

    con = duckdb.connect()
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{ours}')").fetchall()]
    theirs_names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{theirs}')").fetchall()]
    assert names == theirs_names, "the two outputs have different columns"
    tests = " + ".join(f'CAST(a."{n}" IS DISTINCT FROM b."{n}" AS INTEGER)' for n in names[1:])
    [(count, differ)] = con.execute(
        f"SELECT count(*), sum({tests}) FROM read_parquet('{ours}') AS a "
        f"FULL JOIN read_parquet('{theirs}') AS b USING (row)"
    ).fetchall()
    return int(differ or 0)


def spark(folder: Path, program: Any) -> None:
    print("\nSpark, local mode on this machine (--engine spark), yantai.pol")
    for rows in (100_000, 1_000_000):
        source = folder / f"spark-{rows}.parquet"
        draw.write([program], rows, source, seed=11)
        seconds, peak = pol_batch(source, folder / "spark.parquet", "--engine", "spark")
        row(f"pol batch --engine spark, {rows:,} rows", rows, seconds, peak, "(JVM memory not included)")
    empty = folder / "spark-1.parquet"
    draw.write([program], 1, empty, seed=11)
    seconds, _ = pol_batch(empty, folder / "spark.parquet", "--engine", "spark")
    print(f"  fixed cost (one row, whole process): {seconds:.1f} s")


def postgres(folder: Path, rent: Any) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import psycopg
    from postgres_server import server

    print("\nPostgreSQL, a server on this machine (--engine postgres), a table of 1,000,000 applicants")
    source = folder / "pg.csv"
    draw.write([rent], 1_000_000, source, seed=11, missing=0)
    servers = server()
    dsn = next(servers)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(
            "CREATE TABLE applicants ("
            + ", ".join(f'"{c}" NUMERIC(18, 2)' if c != "企业类型" else f'"{c}" TEXT' for c in COLUMNS)
            + ")"
        )
        with (
            con.cursor().copy("COPY applicants FROM STDIN WITH (FORMAT csv, HEADER)") as copy,
            open(source, "rb") as fh,
        ):
            while data := fh.read(1 << 20):
                copy.write(data)
    base = [sys.executable, "-m", "pol", "batch", str(POLICY), "--engine", "postgres", "--dsn", dsn]
    seconds, peak = timed([*base, "--input", "applicants", "--out", "results", "--as-of", AS_OF, "--clause", CLAUSE])
    row(f"pol batch --engine postgres --clause {CLAUSE}", 1_000_000, seconds, peak, "(server memory not included)")
    for _ in servers:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--huge", action="store_true", help="also 100,000,000 rows")
    parser.add_argument("--loop-rows", type=int, default=20_000)
    parser.add_argument("--spark", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if not os.path.exists(GNU_TIME):
        raise SystemExit(f"{GNU_TIME} measures each command's peak memory: apt-get install time")
    program = lower(compile_file(POLICY).policy, "yantai.pol")
    rent = _chosen_clauses({"yantai": program}, [CLAUSE])["yantai"]  # type: ignore[index]
    print(f"pol batch on {os.cpu_count()} cores; peak memory is each process's own")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in [*args.sizes, *([100_000_000] if args.huge else [])]:
            size(rows, Path(tmp), program, rent, args)
        if args.spark:
            spark(Path(tmp), program)
        if args.postgres:
            postgres(Path(tmp), rent)


if __name__ == "__main__":
    main()
