"""A profile's ledger against `pol batch --history`: the same applications and grants give the same amounts."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.policies import load_policies
from pol.compiler.ledger.profile import read_profile
from pol.compiler.lower import lower
from pol.compiler.population import batch
from pol.compiler.population.synth import write_csv

GRANT_COLUMNS = ["enterprise", "date", "policy", "clause", "item", "amount", "subject", "region", "level"]


def assert_batch_agrees(compiled: list[Any], raw: dict[str, Any], tmp_path: Path) -> int:
    """Run a profile's events through the ledger and, with the ledger's grants as history, through pol batch on
    DuckDB; every application gets the same status and amount. Returns how many applications were compared."""
    policies = load_policies(compiled)
    profile = read_profile(raw, policies)
    ledger = evaluate_profile(raw, policies)
    by_index = {ev.index: ev for ev in profile.events}
    names: list[str] = ["enterprise", "date", "item"]
    apps, expected, grants = [], [], []
    for e in ledger.entries:
        if e.origin.policy is None:  # a grant from elsewhere: history only
            level = e.origin.level or ""
            grants.append(["甲", e.date.isoformat(), "", "", e.item or "", str(e.amount), e.subject or "", "", level])
            continue
        ev = by_index[e.index]
        facts = {**profile.facts_on(ev.date, ev.item), **ev.facts}
        facts = {k: v for k, v in facts.items() if k in ev.policy.module.INPUTS}
        names += [k for k in facts if k not in names]
        apps.append({"enterprise": "甲", "date": ev.date.isoformat(), "item": ev.item or "", **facts})
        expected.append((e.origin.policy.key, e.origin.clause.id, e.status, e.amount))
        if e.counts:
            row = ["甲", ev.date.isoformat(), e.origin.policy.key, e.origin.clause.id, ev.item or "", str(e.amount)]
            grants.append([*row, "", "", ""])
    write_csv(tmp_path / "apps.csv", names, apps)
    with open(tmp_path / "grants.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(GRANT_COLUMNS)
        w.writerows(grants)
    programs = {c.source.path.rsplit("/", 1)[-1][:-4]: lower(c.policy, c.source.path) for c in compiled}
    result = batch.run(
        programs,
        tmp_path / "apps.csv",
        tmp_path / "out.parquet",
        datetime.date(2026, 1, 1),
        grants=tmp_path / "grants.csv",
    )
    assert result.bad_rows == 0
    import pyarrow.parquet as pq

    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert len(rows) == len(expected)
    for row, (policy, clause, status, amount) in zip(rows, expected, strict=True):
        field = "max_amount" if status == "discretionary" else "amount"
        got = Decimal(row[f"{policy}.{clause}.{field}"] or 0)
        assert (row[f"{policy}.{clause}.status"], got) == (status, amount), (row["row"], policy, clause)
    return len(rows)
