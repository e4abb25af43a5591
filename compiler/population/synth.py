"""A synthetic population of applicants for the bundled policies: realistic magnitudes, with a share of rows
exactly at every threshold and one fen either side, so users and tests have data that tries the rules."""

from __future__ import annotations

import csv
import datetime
import io
import math
import random
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


def _realistic(rng: random.Random, spec: ir.Input) -> Any:
    kind = spec.kind
    if kind == "bool":
        return rng.random() < 0.6
    if kind == "enum":
        return rng.choice(spec.members or ("",))
    if kind == "date":
        return datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randrange(8 * 365))
    if kind == "money":  # log-uniform from 1万 to 50亿, to the fen
        return (Decimal(math.exp(rng.uniform(math.log(1e4), math.log(5e9)))) * 100).to_integral_value() / 100
    if kind == "money_per_area":
        return Decimal(rng.randrange(100, 5_000_000)) / 100
    if kind == "area":
        return Decimal(rng.randrange(50, 20_000))
    if kind == "ratio":
        return Decimal(rng.randrange(0, 101)) / 100
    if spec.ordinal:  # a rank among peers: from the first place
        return Decimal(rng.randrange(1, 51))
    return Decimal(rng.randrange(0, 11))  # years, counts


def applicant(
    rng: random.Random,
    inputs: tuple[ir.Input, ...],
    edges: dict[str, set[Any]],
    at_edges: float = 0.2,
    missing: float = 0.1,
) -> dict[str, Any]:
    """One applicant: each fact missing with probability `missing`, at or beside a threshold with `at_edges`."""
    facts: dict[str, Any] = {}
    for spec in inputs:
        if rng.random() < missing:
            continue
        numeric = sorted(e for e in edges.get(spec.name, ()) if isinstance(e, Decimal))
        if numeric and spec.kind in STEP and rng.random() < at_edges:
            lowest = Decimal(1) if spec.ordinal else Decimal(0)
            facts[spec.name] = max(rng.choice(numeric) + rng.choice((-1, 0, 1)) * STEP[spec.kind], lowest)
        else:
            facts[spec.name] = _realistic(rng, spec)
    return facts


def population(programs: list[ir.Program], rows: int, seed: int = 2021) -> Iterator[dict[str, Any]]:
    """`rows` applicants for the inputs of all `programs` (an input shared by name is one column)."""
    rng = random.Random(seed)
    inputs: dict[str, ir.Input] = {}
    edges: dict[str, set[Any]] = {}
    for p in programs:
        for spec in p.inputs:
            inputs.setdefault(spec.name, spec)
        for name, values in thresholds(p).items():
            edges.setdefault(name, set()).update(values)
    specs = tuple(inputs.values())
    for _ in range(rows):
        yield applicant(rng, specs, edges)


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
