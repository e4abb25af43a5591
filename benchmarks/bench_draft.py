"""`pol draft` on the original texts: how long each takes, whole process and in process, against `pol check` of
the draft it writes (the same file read, parsed and checked: the floor any drafting sits on).

Run: .venv/bin/python benchmarks/bench_draft.py [--repeat N]
For each text in policies/originals/: its size, its provisions, the median in-process time of draft_text
over N runs, the median time to check the drafted file, and the ratio; then the whole `pol draft` process
for the largest text (Yantai's opinion with its three attachments, 30 numbered articles in 附件3 alone).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pol.compiler.drafting.draft import draft_text  # noqa: E402
from pol.compiler.drafting.draft.outline import provisions  # noqa: E402
from pol.compiler.drafting.draft.source import read_original  # noqa: E402
from pol.compiler.evaluate.pipeline import compile_text  # noqa: E402


def median(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'text':<24} {'chars':>7} {'provisions':>10} {'draft ms':>9} {'check ms':>9} {'ratio':>6}")
    largest = None
    for path in sorted((ROOT / "policies" / "originals").glob("*.txt")):
        text = read_original(path)
        drafted = draft_text(text, path.stem).text
        d = median(lambda text=text, path=path: draft_text(text, path.stem), args.repeat)
        c = median(lambda drafted=drafted, path=path: compile_text(drafted, f"{path.stem}.pol"), args.repeat)
        n = len(provisions(text))
        print(f"{path.stem:<24} {len(text):>7} {n:>10} {d * 1000:>9.0f} {c * 1000:>9.0f} {d / c:>6.1f}")
        if largest is None or len(text) > len(read_original(largest)):
            largest = path
    assert largest is not None
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pol", "draft", str(largest), "--out", str(Path(tmp) / "draft.pol")]
        whole = median(lambda: subprocess.run(command, check=True, capture_output=True), args.repeat)
    print(f"whole process, {largest.name}: {whole:.2f} s (median of {args.repeat})")


if __name__ == "__main__":
    main()
