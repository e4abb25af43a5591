"""Time `pol check` cold on a 20,000-line policy, and `pol --help`, each as a fresh process.

Run: .venv/bin/python benchmarks/bench_check.py [--lines 20000] [--rounds 3]
The policy is written for the run: all of Yantai, then as many copies of five of its clauses
(renamed) as reach the number of lines. Each timing is the best of --rounds fresh processes,
so it includes starting Python and importing pol, as a drafter's editor or CI would see it. Lark's
parse tables are cached in the temporary folder after the first run, as they are for every user. The
policy is checked with no parse cache, filling it, unchanged since the last run, and with one clause
edited (dsl/parse_cache.py keeps each declaration parsed, by its text).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POL = [sys.executable, "-m", "pol"]
# As users run pol: with Python's bytecode cache, even where the environment turns it off.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CLAUSES = ("创新药研发", "研发型企业房租补贴", "工业企业房租补贴", "销售收入晋级奖励", "园区亩产税收奖励")


def big_policy(lines: int) -> str:
    """All of Yantai and as many renamed copies of five of its clauses as reach `lines` lines."""
    text = (ROOT / "policies" / "yantai.pol").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=clause |measure |limit )", text)
    chosen = [b for b in blocks[1:] if any(b.startswith(f"clause {c} ") for c in CLAUSES)]
    out, n, copy = [text.rstrip("\n")], text.count("\n"), 1
    while n < lines:
        for block in chosen:
            renamed = re.sub(
                r"^clause (\S+) \"([^\"]*)\"",
                lambda m, copy=copy: f'clause {m.group(1)}{copy} "{m.group(2)}-{copy}"',
                block,
                count=1,
            )
            out.append(renamed)
            n += renamed.count("\n") + 1
        copy += 1
    return "\n".join(out) + "\n"


def best(argv: list[str], rounds: int, env: dict[str, str] | None = None, before: object = None) -> float:
    times = []
    for _ in range(rounds):
        if callable(before):
            before()
        started = time.perf_counter()
        run = subprocess.run(argv, capture_output=True, text=True, env=env or ENV)
        times.append(time.perf_counter() - started)
        assert run.returncode == 0, run.stderr[-2000:]
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.pol"
        text = big_policy(args.lines)
        path.write_text(text, encoding="utf-8")
        lines = text.count("\n")
        cache = Path(tmp) / "cache"
        cached = {**ENV, "POL_CACHE_DIR": str(cache)}
        help_time = best([*POL, "--help"], args.rounds)
        # Cold: no declaration parsed before (the cache emptied before each round, or none at all).
        bare = best([*POL, "check", str(path)], args.rounds, {**ENV, "POL_CACHE_DIR": ""})
        first = best([*POL, "check", str(path)], args.rounds, cached, lambda: shutil.rmtree(cache, ignore_errors=True))
        warm = best([*POL, "check", str(path)], args.rounds, cached)
        # One clause's title edited: that declaration is parsed again, the rest come from the cache.
        edits = iter(range(1_000_000))

        def edit() -> None:
            path.write_text(text.replace('title: "研发型企业房租补贴"', f'title: "研发型企业房租补贴{next(edits)}"', 1))

        changed = best([*POL, "check", str(path)], args.rounds, cached, edit)

        # Lines added near the top: one declaration parsed again, every later one moved by its kept spans.
        def insert() -> None:
            path.write_text(text.replace("\nenum ", "\n" + "# 注\n" * (next(edits) % 5 + 1) + "enum ", 1))

        inserted = best([*POL, "check", str(path)], args.rounds, cached, insert)
        small = best([*POL, "check", str(ROOT / "policies" / "xuzhou.pol")], args.rounds)
    print(f"pol --help                          {help_time:6.2f} s   goal ≤ 0.2 s")
    for what, took in (
        ("no parse cache", bare),
        ("first run, filling the cache", first),
        ("unchanged since the last run", warm),
        ("one clause edited", changed),
        ("lines added near the top", inserted),
    ):
        print(f"pol check, {lines:,} lines, {what:30s} {took:6.2f} s  {lines / took:8,.0f} lines/s   goal ≥ 20,000")
    print(f"pol check, xuzhou.pol (startup)     {small:6.2f} s")


if __name__ == "__main__":
    main()
