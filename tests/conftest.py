"""Shared fixtures: the bundled policies compiled once per test session."""

from __future__ import annotations

import collections
import os
import tempfile
from pathlib import Path

import pytest

from pol.compiler.evaluate.pipeline import compile_file, load_evaluator, python_source

# Parsed declarations are cached in a folder of the test run's own, never the user's (dsl/parse_cache.py).
os.environ["POL_CACHE_DIR"] = tempfile.mkdtemp(prefix="pol-test-cache-")
ROOT = Path(__file__).resolve().parent.parent
# Cases tried by the fuzz and property suites, by what happened, reported at the end of the run.
FUZZ_COUNTS: collections.Counter[str] = collections.Counter()
POLICIES = ROOT / "policies"


@pytest.fixture(scope="session")
def yantai():
    compiled = compile_file(POLICIES / "yantai.pol")
    assert compiled.ok, compiled.diagnostics
    return compiled


@pytest.fixture(scope="session")
def yantai_module(yantai):
    return load_evaluator(python_source(yantai), "yantai")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many generated cases the fuzz and property suites tried, and how each ended."""
    if FUZZ_COUNTS:
        terminalreporter.section("generated cases")
        for what, n in sorted(FUZZ_COUNTS.items()):
            terminalreporter.write_line(f"{n:7d}  {what}")
        terminalreporter.write_line(f"{sum(FUZZ_COUNTS.values()):7d}  in all")


@pytest.fixture(scope="session")
def postgres_dsn():
    """A PostgreSQL server for the session (tests/postgres_server.py): its connection string."""
    from postgres_server import server

    yield from server()
