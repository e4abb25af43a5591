"""Worker processes for `pol serve`'s heavy requests: a large profile read, computed and written away from the server.

A thread cannot do this: it shares the interpreter's lock with the event loop, so one request computing for a
second slows every other answer several-fold, and a thread cannot be stopped at a time limit. A worker process
has the policies loaded once, answers one request at a time from its raw body to the bytes of its answer
(server/answers.py), and is killed (and another started) when a request outlives its time limit, so the work
stops with the answer.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread

from pol.api import load
from pol.compiler.server.answers import answer


def work(paths: Sequence[str], conn: Connection) -> None:
    """A worker process: load the policies, then answer each task sent until the connection closes."""
    # Below the server in the scheduler's order: on a busy machine the light requests' process runs first,
    # and the heavy work takes the time left over.
    with contextlib.suppress(OSError):
        os.nice(10)
    policies = load(*paths)
    conn.send(("ready", None))
    while True:
        try:
            route, raw = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", answer(policies, route, raw)))
        except Exception as exc:  # the parent logs it as the bug it is
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class WorkerDied(RuntimeError):
    """A worker process ended without an answer."""


class _Worker:
    """One worker process and the connection to it."""

    def __init__(self, paths: Sequence[str]):
        # Spawned, not forked: the server has threads, and a fork copies whatever locks they hold.
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=work, args=(list(paths), theirs), daemon=True, name="pol serve worker")
        self.process.start()
        theirs.close()

    def ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise WorkerDied(f"a worker did not load the policies within {timeout:g} s")
        self.conn.recv()

    def ask(self, route: str, raw: bytes, timeout: float) -> tuple[str, Any] | None:
        """The worker's answer, or None when it does not come within `timeout` seconds (the worker is then killed)."""
        try:
            self.conn.send((route, raw))
            if self.conn.poll(timeout):
                return self.conn.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise WorkerDied(f"a worker ended without an answer (exit code {self.process.exitcode})") from exc
        self.kill()
        return None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class Workers:
    """A pool of worker processes for one generation of the policies; a task waits for a free worker."""

    def __init__(self, paths: Sequence[str], count: int, start_timeout: float = 120.0):
        self.paths, self.start_timeout = list(paths), start_timeout
        self.idle: list[_Worker] = [_Worker(self.paths) for _ in range(count)]
        for w in self.idle:
            w.ready(start_timeout)
        self.free = anyio.Semaphore(count)
        self.lock = threading.Lock()
        self.closed = False

    async def run(self, route: str, raw: bytes, deadline: float) -> tuple[int, bytes] | None:
        """The status and body answering a request, or None past `deadline` (anyio.current_time()); a worker
        killed at the deadline, or dead, is replaced by a fresh one; WorkerDied or RuntimeError for a bug."""
        try:
            with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                await self.free.acquire()
        except TimeoutError:
            return None
        worker: _Worker | None = None
        try:
            with self.lock:
                worker = self.idle.pop()
            remaining = max(deadline - anyio.current_time(), 0.001)
            got = await anyio.to_thread.run_sync(worker.ask, route, raw, remaining)
            if got is None:
                worker = None
                return None
            kind, value = got
            if kind != "ok":
                raise RuntimeError(f"in a worker process: {value}")
            return value
        except WorkerDied:
            worker = None
            raise
        finally:
            with anyio.CancelScope(shield=True):
                if worker is None:  # killed at its limit, or dead: another in its place, started off the loop
                    worker = await anyio.to_thread.run_sync(self._fresh)
                with self.lock:
                    if self.closed:
                        worker.kill()
                    else:
                        self.idle.append(worker)
                self.free.release()

    def _fresh(self) -> _Worker:
        w = _Worker(self.paths)
        w.ready(self.start_timeout)
        return w

    def close(self) -> None:
        """End every idle worker; a busy one is ended when its task returns."""
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for w in idle:
            w.kill()
