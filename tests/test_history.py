"""`pol batch --history` agrees with `pol eval-profile` to the fen on generated enterprise histories.

Each generated enterprise makes several applications (two leases a year, a project in phases, insurance
policies in instalments, years past a subsidy period). `pol eval-profile` keeps the ledger; the same
applications, with the ledger's grants as the history, go through `pol batch --history` on DuckDB, and
every application gets the same amount. 300 histories by default, 10,000 in the long suite.
"""

from __future__ import annotations

import csv
import datetime
import os
import random
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FUZZ_COUNTS, POLICIES

from pol.compiler import batch
from pol.compiler.lower import lower
from pol.compiler.pipeline import compile_file
from pol.compiler.profile import evaluate_profile, load_policies

CLAUSES = {  # the clause, its policy, and the facts each application states
    "研发型企业房租补贴": ("yantai", ("租金单价", "租赁面积")),
    "设备投入补助": ("yantai", ("生产性设备投入",)),
    "保险保费资助": ("jiangsu", ("实际缴纳保费",)),
}
COMMON = {"企业类型": "研发型企业", "实缴注册资本": "30000000", "固定资产投资": "15000000", "符合保费资助条件": "true"}
COLUMNS = ["enterprise", "date", "item", *COMMON, "租金单价", "租赁面积", "生产性设备投入", "实际缴纳保费"]


def _histories(n: int, seed: str):
    rng = random.Random(seed)
    for k in range(n):
        days = sorted(rng.sample(range(0, 365 * 8), rng.randrange(2, 8)))
        events = []
        for d in days:
            day = datetime.date(2022, 1, 1) + datetime.timedelta(days=d)
            clause = rng.choice(list(CLAUSES))
            policy, names = CLAUSES[clause]
            if day.year > 2023 and policy == "jiangsu":
                day = day.replace(year=2023)  # Jiangsu's term ends in 2024; keep its events in force
            facts = {
                "租金单价": str(rng.choice((600, 1200, 1800, 2500, 3000))),
                "租赁面积": str(rng.choice((300, 500, 800))),
                "生产性设备投入": str(rng.choice((5_000_000, 60_000_000, 120_000_000, 300_000_000))),
                "实际缴纳保费": str(rng.choice((200_000, 400_000, 800_000, 1_200_000))),
            }
            item = rng.choice(("P1", "P2")) if clause != "研发型企业房租补贴" else None
            events.append((day, policy, clause, item, {n: facts[n] for n in names}))
        # One application a day per enterprise: the history counts grants before the application's date.
        seen, unique = set(), []
        for e in sorted(events, key=lambda e: e[0]):
            if e[0] not in seen:
                seen.add(e[0])
                unique.append(e)
        yield f"E{k}", unique


def _run(n: int, tmp_path: Path) -> int:
    compiled = [compile_file(POLICIES / f"{stem}.pol") for stem in ("yantai", "jiangsu")]
    policies = load_policies(compiled)
    apps, grants, expected = [], [], []
    for enterprise, events in _histories(n, f"pol-history-{n}"):
        raw = {
            "enterprise": enterprise,
            "facts": {k: v for k, v in COMMON.items()},
            "items": {"P1": {}, "P2": {}},
            "events": [
                {"date": d.isoformat(), "policy": p, "clause": c, **({"item": i} if i else {}), "facts": f}
                for d, p, c, i, f in events
            ],
        }
        raw["facts"]["符合保费资助条件"] = True
        ledger = evaluate_profile(raw, policies)
        for entry, (d, p, c, i, f) in zip(ledger.entries, events, strict=True):
            apps.append({"enterprise": enterprise, "date": d.isoformat(), "item": i or "", **COMMON, **f})
            expected.append((p, c, entry.amount))
            if entry.amount > 0:
                grants.append([enterprise, d.isoformat(), p, c, i or "", str(entry.amount)])
    with open(tmp_path / "apps.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        w.writerows(apps)
    with open(tmp_path / "grants.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["enterprise", "date", "policy", "clause", "item", "amount"])
        w.writerows(grants)
    programs = {c.source.path.rsplit("/", 1)[-1][:-4]: lower(c.policy, c.source.path) for c in compiled}
    # Each application is judged in force on its own date by the ledger; every date here is in force.
    result = batch.run(
        programs,
        tmp_path / "apps.csv",
        tmp_path / "out.csv",
        datetime.date(2023, 6, 30),
        grants=tmp_path / "grants.csv",
    )
    assert result.bad_rows == 0
    with open(tmp_path / "out.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(expected)
    for row, (policy, clause, amount) in zip(rows, expected, strict=True):
        got = Decimal(row[f"{policy}.{clause}.amount"] or "0")
        assert got == amount, (row["row"], apps[int(row["row"]) - 1], policy, clause, amount)
    return len(rows)


def test_batch_with_history_agrees_with_the_ledger(tmp_path) -> None:
    FUZZ_COUNTS["history agrees with the ledger: applications"] += _run(300, tmp_path)


@pytest.mark.long
def test_batch_with_history_agrees_with_the_ledger_on_ten_thousand_histories(tmp_path) -> None:
    FUZZ_COUNTS["history agrees with the ledger: applications"] += _run(
        int(os.environ.get("POL_HISTORIES", "10000")), tmp_path
    )
