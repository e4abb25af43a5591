"""Load-test `pol serve` on loopback: requests/s, latency percentiles, errors and the server's memory.

Run: .venv/bin/python benchmarks/bench_serve.py [--clients 50] [--seconds 60]
The server runs in its own process (`pol serve policies/`, no access log); the clients are asyncio
connections in this process, each keeping its HTTP/1.1 connection alive and sending the next request
as soon as the last answer arrives. By default requests alternate between evaluating two Yantai
clauses and matching an enterprise profile against every policy (a light and a heavy call); --mix
chooses.
The server's resident memory is read at the start, the middle and the end: stable memory means the end
is within a few MB of the middle.

With --heavy, the run is done twice on the same server: the light clients alone, then the same clients
while one more keeps sending a heavy request (a profile of 860 products, just under the 1 MB body limit,
about half a second of ledger work each); the light requests' percentiles are printed for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EVALUATE = {
    "facts": {
        "新药类别": "一类新药",
        "临床阶段": "III期",
        "临床研发费用": "1亿",
        "该品种已获研发扶持": 0,
        "企业类型": "研发型企业",
        "实缴注册资本": "3000万",
        "固定资产投资": "1500万",
        "租金单价": "1200元/平方米",
        "租赁面积": "650平方米",
    },
    "clauses": ["创新药研发", "研发型企业房租补贴"],
    "as_of": "2022-01-01",
}


def _request(path: str, body: dict) -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _client(port: int, requests: list[bytes], until: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(str(status))
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(type(exc).__name__)
    finally:
        writer.close()


def _heavy() -> bytes:
    """An /eval-profile of an enterprise with 860 products, each with the worked profile's four events."""
    profile = json.loads((ROOT / "examples" / "profiles" / "yantai_class1_drug.json").read_text(encoding="utf-8"))
    big = {"enterprise": "大型企业", "facts": profile["facts"], "items": {}, "events": []}
    for i in range(860):
        big["items"][f"P-{i}"] = profile["items"]["YT-101"]
        big["events"] += [dict(e, item=f"P-{i}") for e in profile["events"]]
    return _request("/eval-profile", {"profile": big})


def _requests(mix: str) -> list[bytes]:
    profile = json.loads((ROOT / "examples" / "profiles" / "yantai_class1_drug.json").read_text(encoding="utf-8"))
    kinds = {
        "evaluate": _request("/policies/yantai/evaluate", EVALUATE),
        "match": _request("/match", {"profile": profile, "as_of": "2022-06-30"}),
    }
    return [kinds[k] for k in mix.split(",")]


async def _run(
    port: int,
    clients: int,
    seconds: float,
    pid: int,
    requests: list[bytes],
    heavy: list[bytes] | None = None,
    heavy_latencies: list[float] | None = None,
) -> tuple[list[float], list[str], list[float]]:
    latencies: list[float] = []
    errors: list[str] = []
    memory = [_rss_mb(pid)]
    until = time.perf_counter() + seconds

    async def sample() -> None:
        await asyncio.sleep(seconds / 2)
        memory.append(_rss_mb(pid))

    slow = (
        [_client(port, heavy, until, heavy_latencies if heavy_latencies is not None else [], errors)] if heavy else []
    )
    await asyncio.gather(sample(), *slow, *(_client(port, requests, until, latencies, errors) for _ in range(clients)))
    memory.append(_rss_mb(pid))
    return latencies, errors, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--mix",
        default="evaluate,match",
        help="the requests each client sends in turn: evaluate (two clauses), match (every policy)",
    )
    parser.add_argument("--heavy", action="store_true", help="run again with one client sending a heavy request")
    args = parser.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "pol", "serve", str(ROOT / "policies"), "--port", str(port), "--no-access-log"],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies, errors, memory = asyncio.run(_run(port, args.clients, args.seconds, server.pid, _requests(args.mix)))
        heavy_times: list[float] = []
        if args.heavy:
            beside, heavy_errors, _ = asyncio.run(
                _run(port, args.clients, args.seconds, server.pid, _requests(args.mix), [_heavy()], heavy_times)
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()

    def pct(p: float, of: list[float] | None = None) -> float:
        xs = sorted(of) if of is not None else latencies
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000

    print(
        f"pol serve on loopback, {args.clients} clients for {args.seconds:.0f} s sending {args.mix}, "
        f"{os.cpu_count()} cores (server and clients share them)"
    )
    print(
        f"requests          {len(latencies):>10,}   errors {len(errors)}"
        + (f" ({', '.join(sorted(set(errors)))})" if errors else "")
    )
    print(f"requests/s        {len(latencies) / args.seconds:>10,.0f}")
    print(f"latency ms        p50 {pct(0.50):.1f}   p90 {pct(0.90):.1f}   p99 {pct(0.99):.1f}   max {pct(1.0):.1f}")
    print(f"server RSS MB     start {memory[0]:.0f}   middle {memory[1]:.0f}   end {memory[2]:.0f}")
    if args.heavy:
        print(
            f"beside a heavy    {len(beside):>10,} light requests, errors {len(heavy_errors)}; "
            f"latency ms p50 {pct(0.5, beside):.1f}   p90 {pct(0.9, beside):.1f}   p99 {pct(0.99, beside):.1f}"
            f"   max {pct(1.0, beside):.1f}"
        )
        print(f"the heavy one     {len(heavy_times):>10,} answered, p50 {pct(0.5, heavy_times):.0f} ms")


if __name__ == "__main__":
    main()
