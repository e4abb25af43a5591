"""Files that are not what they seem: a FIFO or a device named like a policy, and pol fmt on files whose mode,
byte-order mark or symbolic link must survive."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pol.compiler.cli import main

UNFORMATTED = 'policy p {\n      title: "t" }\ninput 费用: money\nclause a "一" {\ngrant 费用 × 10%\n}\n'


def test_only_regular_files_are_read_as_policies(tmp_path) -> None:
    os.mkfifo(tmp_path / "fifo.pol")
    (tmp_path / "zero.pol").symlink_to("/dev/zero")
    # In a child process with a time limit: a FIFO read would block forever, /dev/zero fill the memory.
    done = subprocess.run(
        [sys.executable, "-m", "pol", "check", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.count("not a regular file") == 2
    assert "Traceback" not in done.stderr


def test_fmt_keeps_the_mode_the_bom_and_the_link(tmp_path, capsys) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "p.pol"
    target.write_bytes(b"\xef\xbb\xbf" + UNFORMATTED.encode("utf-8"))
    target.chmod(0o600)
    link = tmp_path / "link.pol"
    link.symlink_to(target)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b'\n  title: "t" }' in data
    assert main(["fmt", "--check", str(link)]) == 0  # formatted now, BOM and all
    assert not [p for p in real.iterdir() if p.name.startswith(".")]  # no staging file left behind


def test_a_policy_larger_than_pol_reads_is_refused_without_reading_it_all(tmp_path, capsys) -> None:
    from pol.compiler.files import NotRegularFile, read_source

    big = tmp_path / "big.pol"
    big.write_bytes(b"#" * 2048)
    with pytest.raises(NotRegularFile, match="larger than 1024 bytes"):
        read_source(Path(big), 1024)


def test_no_command_writes_over_the_subjects_read_beside_a_policy(tmp_path, capsys) -> None:
    import shutil

    from conftest import POLICIES, ROOT

    for name in ("yantai.pol", "subjects.toml"):
        shutil.copy(POLICIES / name, tmp_path / name)
    policy, subjects = str(tmp_path / "yantai.pol"), str(tmp_path / "subjects.toml")
    before = (tmp_path / "subjects.toml").read_bytes()
    assert main(["synth", policy, "--rows", "5", "--out", subjects]) == 2
    assert main(["synth", policy, "--rows", "5", "--out", str(tmp_path / "pop.csv")]) == 0
    population = str(tmp_path / "pop.csv")
    assert main(["simulate", policy, "--input", population, "--markdown", subjects]) == 2
    assert main(["simulate", policy, "--input", population, "--report", subjects]) == 2
    project = str(ROOT / "examples" / "compare" / "class1_drug_phase3.json")
    assert main(["compare", project, "--policies", policy, "--markdown", subjects]) == 2
    assert (tmp_path / "subjects.toml").read_bytes() == before
    assert main(["check", policy]) == 0
    report = str(tmp_path / "r.md")
    assert main(["simulate", policy, "--input", population, "--markdown", report, "--report", report]) == 2
    assert "give each output its own file" in capsys.readouterr().err


def test_the_javascript_evaluator_refuses_what_python_refuses() -> None:
    import json

    from conftest import POLICIES

    from pol.compiler.evaluate import jsrun
    from pol.compiler.evaluate.pipeline import compile_file

    compiled = compile_file(POLICIES / "yantai.pol")
    cases = [
        {"module": "yantai", "facts": {name: "1"}, "as_of": "2022-06-30", "clauses": None, "validated": False}
        for name in ("toString", "valueOf", "constructor", "__proto__", "hasOwnProperty")
    ]
    cases.append({"module": "yantai", "facts": {}, "as_of": "2022-06-30", "clauses": ["没有这条"], "validated": False})
    cases.append({"module": "yantai", "facts": {}, "as_of": "2022-06-30", "clauses": ["创新药"], "validated": False})
    got = [json.loads(line) for line in jsrun.run([compiled], cases)]
    for case, result in zip(cases[:5], got[:5], strict=True):
        assert result.get("error") == "FactsError", (case, result)
        assert "不是本政策的输入" in result["problems"][0]
    # An id that is no clause's (nor a part of one's) is refused, as Python refuses it.
    assert got[5]["error"] == "UnknownClauseError" and got[6]["error"] == "UnknownClauseError"


def test_serve_refuses_a_bad_port_body_limit_or_address_before_saying_it_serves(capsys) -> None:
    import socket

    from conftest import POLICIES

    policy = str(POLICIES / "yantai.pol")
    assert main(["serve", policy, "--port", "99999"]) == 2
    assert main(["serve", policy, "--max-body", "-5"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", policy, "--port", str(busy.getsockname()[1])]) == 2
    err = capsys.readouterr().err
    assert "serving" not in err and "Address already in use" in err and "1 to 65535" in err


@pytest.mark.parametrize(
    ("csv_text", "extra", "said"),
    [
        ("企业类型,租赁面积\n研发型企业,500\n研发型企业,400,9\n", [], "Line: 3"),
        ("企业类型,租赁面积\n研发型企业,500\n研发型企业\n", [], "Line: 3"),  # a short last row, not a header
        ("企业类型,企业类型\n研发型企业,研发型企业\n", [], "more than once"),
        ("企业类形,租赁面积\n研发型企业,500\n", [], "did you mean '企业类型'"),
        ("企业类型,租赁面积\n研发型企业,500\n", ["--columns", "COLUMNS"], "which is no column"),
    ],
)
def test_batch_refuses_a_csv_it_cannot_read_as_the_policies_table(tmp_path, capsys, csv_text, extra, said) -> None:
    from conftest import POLICIES

    (tmp_path / "in.csv").write_text(csv_text, encoding="utf-8")
    (tmp_path / "map.toml").write_text('"实缴注册资本" = "注册资本"\n', encoding="utf-8")
    extra = [str(tmp_path / "map.toml") if e == "COLUMNS" else e for e in extra]
    argv = [
        "batch",
        str(POLICIES / "yantai.pol"),
        "--input",
        str(tmp_path / "in.csv"),
        "--out",
        str(tmp_path / "o.csv"),
    ]
    assert main([*argv, *extra]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_fmt_keeps_a_continued_string_and_the_blank_lines_of_an_original_after_it(tmp_path) -> None:
    source = (
        'policy p {\n  title: "生物医药 \\\n        产业扶持政策"\n}\ninput 费用: money\n'
        'clause a "一" {\n  original: """第一段\n\n\n      第二段"""\n  grant 费用 × 10%\n}\n'
    )
    path = tmp_path / "p.pol"
    path.write_text(source, encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 0  # already in the one layout: nothing inside a string moves
    path.write_text(source.replace("\n  grant 费用 × 10%", "\n        grant 费用 × 10%   "), encoding="utf-8")
    assert main(["fmt", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == source


def test_a_batch_stopped_by_sigterm_leaves_nothing_behind(tmp_path) -> None:
    import signal
    import time

    import duckdb
    from conftest import POLICIES

    source = tmp_path / "many.parquet"
    duckdb.sql(
        "SELECT CASE WHEN range % 3 = 0 THEN '一类新药' ELSE '二类新药' END AS 新药类别, "
        "CASE WHEN range % 2 = 0 THEN 'III期' ELSE 'II期' END AS 临床阶段, "
        "CAST(range * 37 % 100000000 AS DECIMAL(18, 2)) AS 临床研发费用 FROM range(4000000)"
    ).write_parquet(str(source))
    work, spill_root = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    spill_root.mkdir()
    env = {**os.environ, "TMPDIR": str(spill_root)}
    out = work / "out.parquet"
    run = subprocess.Popen(
        [sys.executable, "-m", "pol", "batch", str(POLICIES / "yantai.pol"), "--input", str(source), "--out", str(out)],
        cwd=work,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # well into the run: the policies checked, the input loaded, the clauses computing
    assert run.poll() is None, run.stderr.read() if run.stderr else ""
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(work.iterdir()) == []  # no output, no staging file, no `.tmp` spill folder
    # The spill folder pol made is gone too (Lark's cache of the grammar's tables stays, as it is meant to).
    assert [p.name for p in spill_root.iterdir() if not p.name.startswith(".lark_cache")] == []
