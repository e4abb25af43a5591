"""`pol batch` reads every value as `pol eval` reads the same fact: the SQL that reads the common forms in the engine
and the evaluators' reader, through which every other text goes, agree on generated cells of every kind of input,
in CSV text and in Parquet's exact number columns."""

from __future__ import annotations

import csv
import datetime
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pol.compiler import ir
from pol.compiler.backends.sql import NUM
from pol.compiler.population import batch, cells
from pol.compiler.population.engines import DuckDBEngine, InputError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

_ZERO = ir.Const(Decimal(0), ("number", None, None))
SPECS = [
    ir.Input("费用", "money", "CNY", None, "费用", None, None),
    ir.Input("美元投资", "money", "USD", None, "美元投资", None, None),
    ir.Input("已获", "money", "CNY", None, "已获", None, ir.Const(Decimal(0), ("money", "CNY", None))),
    ir.Input("租金", "money_per_area", "CNY", "m2", "租金", None, None),
    ir.Input("面积", "area", None, "m2", "面积", None, None),
    ir.Input("亩数", "area", None, "mu", "亩数", None, None),
    ir.Input("比例", "ratio", None, None, "比例", None, None),
    ir.Input("年限", "years", None, None, "年限", None, None),
    ir.Input("人数", "number", None, None, "人数", None, None),
    ir.Input("是否", "bool", None, None, "是否", None, None),
    ir.Input("阶段", "enum", None, None, "阶段", ("I期", "II期", "III期", "已上市"), None),
    ir.Input("日期", "date", None, None, "日期", None, None),
]

# What people and programs put in a cell, and what trips a reader: exponents, signs, separators, full-width
# and Chinese digits, Roman numeral characters, units of every kind, spaces, line breaks.
PIECES = [
    "0", "1", "5", "12", "007", "40", "3000", "999999999999999", "1000000000000000", "123456789012345",
    ".", ".5", ".1234567", "e5", "E-20", "e+2", "-", "+", "_", "万", "亿", "千万", "元", "美元", "万元", "%", "％",
    "平方米", "㎡", "亩", "年", "/平方米", "/年", "１００", "三", "十二", "Ⅲ", "期", "I期", "III期", "已上市",
    " ", "\t", "\n", "，", ",", "true", "false", "TRUE", "是", "否", "2022-06-30", "2022-02-30", "0999-01-01",
    "2022-6-3", "20220630", "-0", "0.0", "1e5", "NaN", "Infinity", "ｉｉｉ期", "\u200b",
]  # fmt: skip


def generated_cells(rng: random.Random, count: int) -> list[str]:
    """Cells of one to four pieces, every piece alone first."""
    out = list(PIECES)
    while len(out) < count:
        out.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4))))
    return out


def _write_cells(source: Path, columns: dict[str, list[str]]) -> Path:
    """A CSV file with a column of cells per input of SPECS."""
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([s.name for s in SPECS])
        writer.writerows(zip(*(columns[s.name] for s in SPECS), strict=True))
    return source


def _engine_reads(db: DuckDBEngine, specs: list[ir.Input], present: dict[str, str]) -> list[tuple[Any, ...]]:
    """(row, value, refused) for every cell of every column, as pol batch reads them."""
    typed, checks, joins = batch._read(db, present, {s.name: s for s in specs}, {})
    by_column = {c.column: c for c in checks}
    values = ", ".join(f"{typed[s.name](NUM)}, {by_column[s.name].bad}" for s in specs)
    return db.rows(f'SELECT raw."__row", {values} FROM raw {joins} ORDER BY raw."__row"')


def _python_reads(spec: ir.Input, raw: Any, exact: bool) -> tuple[Any, bool]:
    """(value, refused) for one cell, as pol eval reads the fact the cell stands for."""
    if raw is None or (not exact and raw.strip(cells.BLANK) == ""):
        return (spec.default.value if spec.default is not None else None), False
    try:
        rt = cells.runtime_input(spec)
        return (cells.read_fact(rt, raw) if exact else cells.read_cell(rt, raw)), False
    except ValueError:
        return None, True


def _same(engine: Any, python: Any) -> bool:
    if isinstance(python, Decimal) and engine is not None:
        return Decimal(engine) == python
    return engine == python


def test_text_cells_are_read_as_facts_files_read_them(tmp_path: Path) -> None:
    rng = random.Random(20261206)
    columns = {s.name: generated_cells(rng, 1500) for s in SPECS}
    source = _write_cells(tmp_path / "cells.csv", columns)
    db = DuckDBEngine()
    present = db.load(source, "__row")
    disagree = []
    for row, *got in _engine_reads(db, SPECS, present):
        for k, spec in enumerate(SPECS):
            cell = columns[spec.name][row - 1]
            value, refused = got[2 * k], bool(got[2 * k + 1])
            # An empty cell is a missing fact (the engine reads it so before any reader sees it).
            want = _python_reads(spec, cell, exact=False)
            if refused != want[1] or (not refused and not _same(value, want[0])):
                disagree.append((spec.kind, cell, (value, refused), want))
    assert disagree == []


def test_exact_number_columns_are_read_as_json_numbers(tmp_path: Path) -> None:
    numeric = [s for s in SPECS if s.kind in cells.NUMERIC]
    values = [
        Decimal(0), Decimal("0.4"), Decimal("-0"), Decimal("-3"), Decimal("1.5"), Decimal("0.1234567"),
        Decimal("0.1200000"), Decimal("999999999999999.999999"), Decimal(10) ** 15, Decimal(10) ** 26,
        Decimal(10) ** 30, Decimal(30), None,
    ]  # fmt: skip
    columns = {
        "dec38_0": pa.array([v.to_integral_value() if v is not None else None for v in values], pa.decimal128(38, 0)),
        "dec38_7": pa.array(
            [v if v is not None and abs(v) < Decimal(10) ** 31 else None for v in values], pa.decimal128(38, 7)
        ),
        "int64": pa.array([int(v) if v is not None and abs(v) < 2**62 else None for v in values], pa.int64()),
    }
    disagree = []
    for type_name, array in columns.items():
        source = tmp_path / f"{type_name}.parquet"
        pq.write_table(pa.table({s.name: array for s in numeric}), source)
        db = DuckDBEngine()
        present = db.load(source, "__row")
        for row, *got in _engine_reads(db, numeric, present):
            raw = array[row - 1].as_py()
            for k, spec in enumerate(numeric):
                value, refused = got[2 * k], bool(got[2 * k + 1])
                want = _python_reads(spec, raw, exact=True)
                if refused != want[1] or (not refused and not _same(value, want[0])):
                    disagree.append((type_name, spec.kind, raw, (value, refused), want))
    assert disagree == []


def test_a_column_of_lists_is_refused_naming_it(tmp_path: Path) -> None:
    source = tmp_path / "lists.parquet"
    pq.write_table(pa.table({"费用": pa.array([[1, 2], [3]], pa.list_(pa.int64()))}), source)
    db = DuckDBEngine()
    present = db.load(source, "__row")
    with pytest.raises(InputError, match=r"the columns 费用 hold several values in a row \(BIGINT\[\]\)"):
        batch._read(db, present, {"费用": SPECS[0]}, {})


def test_a_date_is_only_the_iso_calendar_form() -> None:
    spec = cells.runtime_input(SPECS[-1])
    assert cells.read_cell(spec, "2022-06-30") == datetime.date(2022, 6, 30)
    for text in ("2022-6-30", "20220630", "2022-02-30"):
        with pytest.raises(ValueError):
            cells.read_cell(spec, text)


@pytest.mark.long
def test_spark_reads_every_cell_as_duckdb_does(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from pol.compiler.population.engines import SparkEngine

    rng = random.Random(7)
    columns = {s.name: generated_cells(rng, 400) for s in SPECS}
    source = _write_cells(tmp_path / "cells.csv", columns)
    duck = DuckDBEngine()
    want = _engine_reads(duck, SPECS, duck.load(source, "__row"))
    spark = SparkEngine()
    got = _engine_reads(spark, SPECS, spark.load(source, "__row"))  # type: ignore[arg-type]
    norm = lambda rows: [tuple(Decimal(v) if isinstance(v, Decimal) else v for v in r) for r in rows]  # noqa: E731
    assert norm(got) == norm(want)
