"""A population through one clause: exact `pol batch` on DuckDB against NumPy and Polars in float64, and the Python loop.

Run: .venv/bin/python benchmarks/bench_batch.py [--rows N] [--loop-rows N]
All sides compute the same clause, Yantai 二(一)1 创新药研发 (40% of the clinical cost, capped by stage and
category, and by the category's total less what the product already received), for the same generated
applicants, in one run. A share of the costs sits exactly at the amounts where a cap starts to bind and at
odd fen, where float64 is tried hardest. NumPy's and Polars' float answers (the same rule, vectorised,
in memory) are compared with the exact ones and the rows that differ at the fen are counted. The Python loop is timed on fewer rows and reported per row.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import attrs  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source  # noqa: E402
from pol.compiler.lower import lower  # noqa: E402
from pol.compiler.population import batch  # noqa: E402

CLAUSE = "创新药研发"
STAGE_CAP = {
    ("一类新药", "I期"): 2_000_000,
    ("一类新药", "II期"): 8_000_000,
    ("一类新药", "III期"): 20_000_000,
    ("二类新药", "I期"): 1_000_000,
    ("二类新药", "II期"): 4_000_000,
    ("二类新药", "III期"): 10_000_000,
}
TOTAL_CAP = {"一类新药": 30_000_000, "二类新药": 15_000_000}


def population(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    category = rng.choice(np.array(["一类新药", "二类新药"]), n)
    stage = rng.choice(np.array(["I期", "II期", "III期"]), n)
    fen = rng.integers(0, 10**10, n)  # up to 1亿元, in fen
    edge = rng.random(n) < 0.2  # a fifth exactly where 40% reaches the stage cap, ± 1 fen
    caps = np.array([STAGE_CAP[(c, s)] for c, s in zip(category, stage, strict=True)], dtype=np.int64)
    fen = np.where(edge, caps * 250 + rng.integers(-1, 2, n), fen)  # cap / 40% in fen
    received = rng.choice(np.array([0, 500_000_000, 1_500_000_000, 2_990_000_000]), n)  # fen
    return {"新药类别": category, "临床阶段": stage, "cost_fen": fen, "received_fen": received}


def numpy_float(pop: dict[str, np.ndarray]) -> np.ndarray:
    """The same rule in float64, as a fast but inexact engine computes it, rounded to the fen at the end."""
    cost = pop["cost_fen"] / 100.0
    first = pop["新药类别"] == "一类新药"
    stage_cap = np.zeros(len(cost))
    for (category, stage), cap in STAGE_CAP.items():  # vectorised: one mask per row of the table
        stage_cap[(pop["新药类别"] == category) & (pop["临床阶段"] == stage)] = cap
    total = np.where(first, TOTAL_CAP["一类新药"], TOTAL_CAP["二类新药"]) - pop["received_fen"] / 100.0
    amount = np.minimum(np.minimum(cost * 0.4, stage_cap), np.maximum(total, 0.0))
    return np.round(amount, 2)


def polars_frame(pop: dict[str, np.ndarray]) -> Any:
    """The population as a Polars frame of float64 amounts (built before the clock starts, as NumPy's arrays are)."""
    import polars as pl

    return pl.DataFrame(
        {
            "category": pop["新药类别"],
            "stage": pop["临床阶段"],
            "cost": pop["cost_fen"] / 100.0,
            "received": pop["received_fen"] / 100.0,
        }
    )


def polars_float(frame: Any) -> np.ndarray:
    """The same rule as Polars expressions over float64 columns, rounded to the fen at the end."""
    import polars as pl

    stage_cap = pl.lit(0.0)
    for (category, stage), cap in STAGE_CAP.items():
        stage_cap = (
            pl.when((pl.col("category") == category) & (pl.col("stage") == stage)).then(float(cap)).otherwise(stage_cap)
        )
    total = pl.when(pl.col("category") == "一类新药").then(float(TOTAL_CAP["一类新药"])).otherwise(
        float(TOTAL_CAP["二类新药"])
    ) - pl.col("received")
    amount = pl.min_horizontal(pl.col("cost") * 0.4, stage_cap, pl.max_horizontal(total, pl.lit(0.0))).round(2)
    return frame.select(amount.alias("amount"))["amount"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loop-rows", type=int, default=20_000)
    args = parser.parse_args()
    compiled = compile_file(ROOT / "policies" / "yantai.pol")
    program = lower(compiled.policy, "yantai.pol")
    one = attrs.evolve(program, clauses=tuple(c for c in program.clauses if c.id == CLAUSE), limits=())
    module = load_evaluator(python_source(compiled), "yantai")
    pop = population(args.rows)
    as_of = datetime.date(2022, 6, 30)
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "people.parquet", Path(tmp) / "out.parquet"
        table = pa.table(
            {
                "新药类别": pop["新药类别"],
                "临床阶段": pop["临床阶段"],
                "临床研发费用": pa.array([Decimal(int(f)).scaleb(-2) for f in pop["cost_fen"]], pa.decimal128(20, 2)),
                "该品种已获研发扶持": pa.array(
                    [Decimal(int(f)).scaleb(-2) for f in pop["received_fen"]], pa.decimal128(20, 2)
                ),
            }
        )
        pq.write_table(table, source)
        start = time.perf_counter()
        result = batch.run({"yantai": one}, source, out, as_of)
        duck = time.perf_counter() - start
        exact = np.array(
            [
                float(v) if v is not None else np.nan
                for v in pq.read_table(out, columns=[f"yantai.{CLAUSE}.amount"]).column(0).to_pylist()
            ]
        )
    start = time.perf_counter()
    floats = numpy_float(pop)
    fast = time.perf_counter() - start
    wrong = int(np.sum(np.round(floats * 100) != np.round(exact * 100)))
    frame = polars_frame(pop)
    start = time.perf_counter()
    polar = polars_float(frame)
    polars_time = time.perf_counter() - start
    polars_wrong = int(np.sum(np.round(polar * 100) != np.round(exact * 100)))
    loop_n = min(args.loop_rows, args.rows)
    start = time.perf_counter()
    for i in range(loop_n):
        module.evaluate(
            {
                "新药类别": str(pop["新药类别"][i]),
                "临床阶段": str(pop["临床阶段"][i]),
                "临床研发费用": Decimal(int(pop["cost_fen"][i])).scaleb(-2),
                "该品种已获研发扶持": Decimal(int(pop["received_fen"][i])).scaleb(-2),
            },
            as_of=as_of,
            clauses={CLAUSE},
        )
    loop = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.rows:,} applicants × Yantai 二(一)1 ({result.rows:,} evaluated)")
    print(
        f"  pol batch on DuckDB (exact):  {args.rows / duck:12,.0f} rows/s  ({duck:.2f} s, reading Parquet, "
        "writing Parquet)"
    )
    print(
        f"  NumPy float64 (inexact):      {args.rows / fast:12,.0f} rows/s  ({fast:.2f} s, in memory); "
        f"{wrong:,} rows wrong at the fen"
    )
    print(
        f"  Polars float64 (inexact):     {args.rows / polars_time:12,.0f} rows/s  ({polars_time:.2f} s, in memory); "
        f"{polars_wrong:,} rows wrong at the fen"
    )
    print(f"  Python evaluator loop:        {loop_n / loop:12,.0f} rows/s  ({loop_n:,} rows)")
    print(
        f"  ratio pol batch / NumPy: {fast / duck:.2f}; pol batch / Python loop: {(args.rows / duck) / (loop_n / loop):.1f}×"
    )
    print(f"  peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
