"""The installable package: its one import name, its version, and builds that do not depend on the folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pol
from pol.compiler import runtime
from pol.compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_python_dash_m_pol_prints_the_version() -> None:
    run = subprocess.run([sys.executable, "-m", "pol", "--version"], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == f"pol {pol.__version__}"


def test_help_imports_neither_the_parser_nor_the_commands() -> None:
    # `pol --help` answers from argparse alone; what the commands need is imported when one runs.
    code = (
        "import sys; from pol.compiler.cli import parser; parser().format_help(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'rich', 'duckdb', 'attrs') "
        "or m.startswith('pol.compiler.cli.commands')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


@pytest.mark.parametrize("target", ["python", "js"])
def test_two_checkouts_in_different_folders_build_the_same_bytes(tmp_path, monkeypatch, target) -> None:
    outputs = []
    for where in ("one/checkout", "another/deeper/checkout"):
        policies = tmp_path / where / "policies"
        shutil.copytree(ROOT / "policies", policies)
        out = tmp_path / where / "out"
        monkeypatch.chdir(tmp_path / where if where.startswith("one") else tmp_path)
        given = "policies" if where.startswith("one") else str(policies)  # a relative and an absolute path
        assert main(["build", given, "--out", str(out), "--target", target]) == 0
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]
    assert not any(str(tmp_path).encode() in data for data in outputs[0].values())


@pytest.mark.parametrize("raw", ["20211101", 12411001, "2021-11-1", "2021-11-01T00:00", " 2021-11-01"])
def test_a_date_fact_is_only_written_yyyy_mm_dd(raw) -> None:
    spec = runtime.Input("申请日期", "date", None, None, "申请日期")
    with pytest.raises(ValueError, match="expected"):
        runtime.read_fact(spec, raw)
