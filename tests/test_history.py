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
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FUZZ_COUNTS, POLICIES
from test_batch import read_results

from pol.compiler.evaluate.pipeline import compile_file
from pol.compiler.ledger.evaluation import evaluate_profile
from pol.compiler.ledger.policies import load_policies
from pol.compiler.lower import lower
from pol.compiler.population import batch

pq = pytest.importorskip("pyarrow.parquet")

CLAUSES = {  # the clause, its policy, and the facts each application states
    "研发型企业房租补贴": ("yantai", ("租金单价", "租赁面积")),
    "设备投入补助": ("yantai", ("生产性设备投入",)),
    "保险保费资助": ("jiangsu", ("实际缴纳保费",)),
    "专利导航项目补助": ("yantai", ()),
}
COMMON = {
    "企业类型": "研发型企业",
    "实缴注册资本": "30000000",
    "固定资产投资": "15000000",
    "符合保费资助条件": "true",
    "开展产业专利导航项目": "true",
}
# What the ledger's explanation says when each rule cuts an application, to show the cases exercise them all.
RULES = {
    "scoped cap": "上限余额",
    "area already subsidised": "本企业本年度已获房租补贴的租赁面积：台账中已获",
    "explicit received": "本企业本年度已获本条保费资助：台账中已获",
    "duration": "支持期限",
    "best only": "从优、就高、不重复",
    "out of force": "有效期",
}
# Grants of other governments for the same things, some in Yantai (从优就高不重复 deducts them), some not.
EXTERNAL = (("技术改造", "烟台市", "区级"), ("房租", "烟台市", "区级"), ("技术改造", "山东省", "省级"))
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
            if day.year > 2025 and policy == "jiangsu":
                day = datetime.date(
                    2025, day.month, min(day.day, 28)
                )  # Jiangsu's term ends in 2024: a few events come after it
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
        received = []
        for _ in range(rng.choice((0, 0, 1, 2))):
            day = datetime.date(2022, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 8))
            if day in seen:
                continue
            subject, region, level = rng.choice(EXTERNAL)
            item = rng.choice(("P1", "P2")) if subject == "技术改造" else None
            received.append((day, subject, region, level, item, str(rng.choice((100_000, 2_000_000, 8_000_000)))))
        yield f"E{k}", unique, received


def _run(n: int, tmp_path: Path, on: str = "duckdb", dsn: str | None = None) -> int:
    compiled = [compile_file(POLICIES / f"{stem}.pol") for stem in ("yantai", "jiangsu")]
    policies = load_policies(compiled)
    apps, grants, expected = [], [], []
    exercised = dict.fromkeys(RULES, 0)
    for enterprise, events, received in _histories(n, f"pol-history-{n}"):
        raw = {
            "enterprise": enterprise,
            "facts": {k: v for k, v in COMMON.items()},
            "items": {"P1": {}, "P2": {}},
            "events": [
                {"date": d.isoformat(), "policy": p, "clause": c, **({"item": i} if i else {}), "facts": f}
                for d, p, c, i, f in events
            ],
            "received": [
                {
                    "date": d.isoformat(),
                    "subject": s,
                    "region": r,
                    "level": lv,
                    "source": f"{r}{lv}补助",
                    "amount": a + "元",
                }
                | ({"item": i} if i else {})
                for d, s, r, lv, i, a in received
            ],
        }
        raw["facts"]["符合保费资助条件"] = True
        raw["facts"]["开展产业专利导航项目"] = True
        ledger = evaluate_profile(raw, policies)
        entries = [e for e in ledger.entries if e.status != "external"]
        for e in entries:
            steps = " ".join(e.explanation)
            for rule, word in RULES.items():
                exercised[rule] += word in steps
        for entry, (d, p, c, i, f) in zip(entries, events, strict=True):
            apps.append({"enterprise": enterprise, "date": d.isoformat(), "item": i or "", **COMMON, **f})
            expected.append((p, c, entry.status, entry.amount))
            if entry.amount > 0:
                area = f.get("租赁面积", "")  # the area the grant subsidised, for 本年已获补贴租赁面积
                grants.append([enterprise, d.isoformat(), p, c, i or "", str(entry.amount), "", "", "", area])
        for d, s, r, lv, i, a in received:
            grants.append([enterprise, d.isoformat(), "", "", i or "", a, s, r, lv, ""])
    with open(tmp_path / "apps.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        w.writerows(apps)
    with open(tmp_path / "grants.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["enterprise", "date", "policy", "clause", "item", "amount", "subject", "region", "level", "租赁面积"]
        )
        w.writerows(grants)
    programs = {c.source.path.rsplit("/", 1)[-1][:-4]: lower(c.policy, c.source.path) for c in compiled}
    # Each application is judged in force on its own date by the ledger; every date here is in force.
    out = "history_results" if on == "postgres" else tmp_path / "out.parquet"
    result = batch.run(
        programs,
        tmp_path / "apps.csv",
        out,
        datetime.date(2023, 6, 30),  # validity is judged on each application's own date
        grants=tmp_path / "grants.csv",
        on=on,
        dsn=dsn,
    )
    assert result.bad_rows == 0
    rows = read_results(out, dsn)
    assert len(rows) == len(expected)
    statuses: dict[str, int] = {}
    for row, (policy, clause, status, amount) in zip(rows, expected, strict=True):
        field = "max_amount" if status == "discretionary" else "amount"
        got = Decimal(row[f"{policy}.{clause}.{field}"] or 0)
        assert got == amount, (row["row"], apps[int(row["row"]) - 1], policy, clause, status, amount)
        assert row[f"{policy}.{clause}.status"] == status
        statuses[status] = statuses.get(status, 0) + 1
    assert statuses.get("granted", 0) > len(rows) / 3, statuses
    assert all(exercised.values()), exercised  # every rule of the ledger decided some application
    return len(rows)


def test_batch_with_history_agrees_with_the_ledger(tmp_path) -> None:
    FUZZ_COUNTS["history agrees with the ledger: applications"] += _run(300, tmp_path)


@pytest.mark.long
def test_batch_with_history_agrees_with_the_ledger_on_ten_thousand_histories(tmp_path) -> None:
    FUZZ_COUNTS["history agrees with the ledger: applications"] += _run(
        int(os.environ.get("POL_HISTORIES", "10000")), tmp_path
    )


@pytest.mark.long
def test_batch_with_history_on_spark_agrees_with_the_ledger(tmp_path) -> None:
    if (
        os.environ.get("POL_E2E") is None
    ):  # CI installs PySpark and Java and must run this; elsewhere they may be absent
        pytest.importorskip("pyspark")
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            pytest.skip("Spark needs Java")
    FUZZ_COUNTS["history on Spark agrees with the ledger: applications"] += _run(40, tmp_path, on="spark")
