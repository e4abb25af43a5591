"""`pol serve` under a heavy request and a careless client: light requests and /health are answered while a heavy one
computes, a request past its time limit gets 503 (not a hung connection), and a client that leaves mid-body is no
bug in the log."""

from __future__ import annotations

import datetime
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from pol.api import PolicySet
from pol.compiler.server.app import create_app

ROOT = Path(__file__).resolve().parents[2]
PROFILE = json.loads((ROOT / "examples" / "profiles" / "yantai_class1_drug.json").read_text(encoding="utf-8"))


def _serving(app) -> Iterator[str]:
    """The app served by uvicorn in a thread of this process, on a free port of loopback."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    running = uvicorn.Server(uvicorn.Config(app, log_level="info", access_log=False))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture()
def server(monkeypatch) -> Iterator[str]:
    real = PolicySet.evaluate_profile

    def heavy(self, profile, as_of=None):  # a profile that takes seconds of CPU, as a huge one would
        if profile.get("name") == "heavy":
            until = time.perf_counter() + 3
            while time.perf_counter() < until:
                sum(range(1000))
        return real(self, profile, as_of=as_of)

    monkeypatch.setattr(PolicySet, "evaluate_profile", heavy)
    yield from _serving(create_app([str(ROOT / "policies")], time_limit=1.0))


def _post(url: str, body: dict) -> tuple[int, dict]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_health_is_answered_while_a_heavy_request_computes_and_that_one_stops_at_its_limit(server) -> None:
    slow: dict = {}
    started = time.perf_counter()
    heavy = {"profile": {**PROFILE, "name": "heavy"}}
    worker = threading.Thread(target=lambda: slow.update(answer=_post(server + "/eval-profile", heavy)))
    worker.start()
    time.sleep(0.2)
    waits = []
    while worker.is_alive():
        t = time.perf_counter()
        with urllib.request.urlopen(server + "/health", timeout=30) as answer:
            assert answer.status == 200
        waits.append(time.perf_counter() - t)
        status, body = _post(server + "/eval-profile", {"profile": PROFILE, "as_of": "2022-06-30"})
        assert status == 200, body
        time.sleep(0.05)
    worker.join()
    status, body = slow["answer"]
    assert status == 503
    assert "took longer than 1 s" in body["detail"]
    assert time.perf_counter() - started < 3  # answered at the limit, not when the work would have ended
    assert waits and max(waits) < 0.5, waits


def test_a_client_that_leaves_mid_body_is_no_bug_in_the_log(server, caplog) -> None:
    host, port = server.removeprefix("http://").split(":")
    with caplog.at_level(logging.INFO):
        with socket.create_connection((host, int(port))) as s:
            s.sendall(
                b'POST /match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"pro'
            )
        time.sleep(0.5)
        with urllib.request.urlopen(server + "/health", timeout=30) as answer:
            assert answer.status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], [
        r.getMessage() for r in caplog.records
    ]


def _large(products: int) -> dict:
    """A profile of many products, each with the worked profile's events: its body is past HEAVY_BYTES."""
    big = {"enterprise": "大型企业", "facts": PROFILE["facts"], "items": {}, "events": []}
    for i in range(products):
        big["items"][f"P-{i}"] = PROFILE["items"]["YT-101"]
        big["events"] += [dict(e, item=f"P-{i}") for e in PROFILE["events"]]
    return big


def test_a_large_profile_computes_in_a_worker_process_that_is_killed_at_the_limit() -> None:
    from pol.api import load

    # A body limit of 16 MB lets the heavy profile take seconds, well past the limit of one, on any machine.
    app = create_app([str(ROOT / "policies")], time_limit=1.0, processes=1, max_body=16 * 1024 * 1024)
    served = _serving(app)
    url = next(served)
    try:
        pool = app.state.service.workers
        first = pool.idle[0].process
        status, body = _post(url + "/eval-profile", {"profile": _large(8000)})  # about five seconds of work
        assert status == 503 and "took longer than 1 s" in body["detail"]
        first.join(5)
        assert not first.is_alive()  # the work stopped with the answer
        medium = _large(60)
        status, body = _post(url + "/eval-profile", {"profile": medium, "as_of": "2027-12-31"})
        assert status == 200, body
        assert pool.idle[0].process is not first  # a fresh worker took the killed one's place
        want = load(str(ROOT / "policies")).evaluate_profile(medium, as_of=datetime.date(2027, 12, 31))
        assert body["years"] == json.loads(json.dumps(want.to_json(), default=str, ensure_ascii=False))["years"]
        assert len(body["entries"]) == len(medium["events"])
        status, body = _post(url + "/eval-profile", {"profile": {**medium, "events": [{"date": "x"}]}})
        assert status == 422 and body["errors"][0]["field"].startswith("profile.events[0]")
    finally:
        next(served, None)
