"""Time `pol eval-profile` on ledgers of 10, 1,000 and 10,000 events: the cost per event must stay flat.

Run: .venv/bin/python benchmarks/bench_profile.py [--sizes 10,1000,10000]
Each profile is one enterprise with many products (items), each going through clinical phases I–III
in successive years under Yantai's 创新药研发, whose cap reads what the ledger already paid for the
product (`received … per product`), plus a yearly rent subsidy for the enterprise: every event looks
back at the ledger, the work that used to grow with its length.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pol.compiler.evaluate.pipeline import compile_file  # noqa: E402
from pol.compiler.ledger.evaluation import evaluate_profile  # noqa: E402
from pol.compiler.ledger.profile import load_policies  # noqa: E402


def profile(events: int) -> dict:
    """A profile of about `events` dated events."""
    items, evs = {}, []
    product = 0
    while len(evs) < events:
        name = f"P{product:05d}"
        items[name] = {"name": name, "facts": {"新药类别": "一类新药" if product % 3 else "二类新药"}}
        for offset, (phase, cost) in enumerate([("I期", "600万"), ("II期", "3000万"), ("III期", "9000万")]):
            year = 2022 + (product + offset) % 4
            evs.append(
                {
                    "date": f"{year}-0{1 + product % 9}-15",
                    "policy": "yantai",
                    "clause": "创新药研发",
                    "item": name,
                    "facts": {"临床阶段": phase, "临床研发费用": cost},
                }
            )
        evs.append(
            {
                "date": f"{2022 + product % 4}-12-01",
                "policy": "yantai",
                "clause": "研发型企业房租补贴",
                "facts": {
                    "实缴注册资本": "3000万",
                    "固定资产投资": "1500万",
                    "租金单价": "600元/平方米",
                    "租赁面积": "800平方米",
                },
            }
        )
        product += 1
    return {"enterprise": "基准企业", "facts": {"企业类型": "研发型企业"}, "items": items, "events": evs[:events]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    args = parser.parse_args()
    policies = load_policies([compile_file(ROOT / "policies" / "yantai.pol")])
    print(f"{'events':>8}  {'seconds':>8}  {'µs per event':>12}")
    for size in map(int, args.sizes.split(",")):
        raw = profile(size)
        started = time.perf_counter()
        ledger = evaluate_profile(raw, policies)
        took = time.perf_counter() - started
        assert len(ledger.entries) == size
        print(f"{size:>8,}  {took:>8.2f}  {took / size * 1e6:>12.0f}")


if __name__ == "__main__":
    main()
