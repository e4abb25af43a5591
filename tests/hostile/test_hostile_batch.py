"""`pol batch` and `pol eval` accept and refuse the same values: each cell below, written bare into a facts file, is
refused by `pol eval` exactly when batch refuses its row, and computes the same amount when both accept it."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from conftest import POLICIES

from pol.compiler.cli import main

# The cells people and programs write that a reader might take differently: separators, exponents, signs,
# too many places, full-width digits, a Roman numeral character.
COSTS = [
    "1_000",
    "1e5",
    "1E-20",
    "0.1234567890123",
    "-0",
    "１００",
    "1,000",
    "3000万",
    "1亿元",
    " 100",
    "100 ",
    "0x10",
    "1e400",
]
STAGES = ["III期", "Ⅲ期", "ＩＩＩ期", "iii期", " III期"]


def _bare(cell: str) -> str:
    """The cell written bare as a JSON value: itself when it is JSON, else a JSON string of it."""
    try:
        json.loads(cell)
        return cell
    except ValueError:
        return json.dumps(cell, ensure_ascii=False)


@pytest.fixture(scope="module")
def batched(tmp_path_factory) -> list[dict]:
    folder = tmp_path_factory.mktemp("cells")
    rows = [(cost, "III期") for cost in COSTS] + [("1亿", stage) for stage in STAGES]
    with (folder / "in.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["新药类别", "临床阶段", "临床研发费用"])
        writer.writerows(("一类新药", stage, cost) for cost, stage in rows)
    out = folder / "out.csv"
    argv = ["batch", str(POLICIES / "yantai.pol"), "--input", str(folder / "in.csv"), "--out", str(out)]
    assert main([*argv, "--as-of", "2022-06-30"]) == 0
    by_row = {int(r["row"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    return [by_row.get(i + 1) for i in range(len(rows))]  # None: the row was refused


def _eval(tmp_path, capsys, cost: str, stage: str) -> Decimal | None:
    facts = tmp_path / "facts.json"
    facts.write_text(
        f'{{"新药类别": "一类新药", "临床阶段": {_bare(stage)}, "临床研发费用": {_bare(cost)}}}', encoding="utf-8"
    )
    capsys.readouterr()
    code = main(["eval", str(POLICIES / "yantai.pol"), "--facts", str(facts), "--clause", "创新药研发",
                 "--as-of", "2022-06-30", "--format", "json"])  # fmt: skip
    if code != 0:
        return None
    return Decimal(json.loads(capsys.readouterr().out)["clauses"][0]["amount"])


@pytest.mark.parametrize("i", range(len(COSTS) + len(STAGES)))
def test_batch_and_eval_read_each_value_alike(batched, tmp_path, capsys, i) -> None:
    cost, stage = (COSTS[i], "III期") if i < len(COSTS) else ("1亿", STAGES[i - len(COSTS)])
    row = batched[i]
    want = _eval(tmp_path, capsys, cost, stage)
    if want is None:
        assert row is None, f"batch computed {cost!r} / {stage!r}, which pol eval refuses"
    else:
        assert row is not None, f"batch refused {cost!r} / {stage!r}, which pol eval reads"
        assert Decimal(row["yantai.创新药研发.amount"]) == want
