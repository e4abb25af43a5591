"""Facts as the cells of a CSV file `pol batch` reads, and where each fact's answer can change: what tests and
`pol synth` (compiler/population/draw.py, which draws the population in the engine) share."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pol.compiler import ir

# One step beside a threshold, by the kind of value: a fen, a square metre, a percentage point, a year.
STEP = {
    "money": Decimal("0.01"),
    "money_per_area": Decimal("0.01"),
    "area": Decimal(1),
    "ratio": Decimal("0.01"),
    "years": Decimal(1),
    "number": Decimal(1),
}


def thresholds(program: ir.Program) -> dict[str, set[Any]]:
    """The values each fact is compared with anywhere in the policy, and the keys of its tables."""
    return ir.compared(program.clauses + program.lets + program.limits)


def cell(value: Any) -> str:
    """A fact as a CSV cell that `pol batch` reads: base units, true/false, ISO dates, empty when missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_text(names: list[str], rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> str:
    """Applicants as CSV text, a column per input."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([cell(row.get(name)) for name in names] for row in rows)
    return out.getvalue()


def write_csv(path: Path, names: list[str], rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
    """Write applicants as a CSV file, a column per input."""
    path.write_text(csv_text(names, rows), encoding="utf-8")
