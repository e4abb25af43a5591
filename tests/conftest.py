"""Shared fixtures: the bundled policies compiled once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.pipeline import compile_file, load_evaluator, python_source

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"


@pytest.fixture(scope="session")
def yantai():
    compiled = compile_file(POLICIES / "yantai.pol")
    assert compiled.ok, compiled.diagnostics
    return compiled


@pytest.fixture(scope="session")
def yantai_module(yantai):
    return load_evaluator(python_source(yantai), "yantai")
