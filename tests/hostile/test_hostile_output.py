"""Output folders and files: pol never overwrites an input, never removes what it did not write, and a kill
or a concurrent run at any point leaves a whole output, old or new."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import POLICIES, ROOT

from pol.compiler.cli import main
from pol.compiler.files import MARKER, STAGING, replace_folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_output_that_is_or_holds_an_input_is_refused(tmp_path, capsys, monkeypatch) -> None:
    work = tmp_path / "work"
    (work / "policies").mkdir(parents=True)
    policy = work / "policies" / "xuzhou.pol"
    policy.write_bytes((POLICIES / "xuzhou.pol").read_bytes())
    (work / MARKER).write_text("pol wrote here once\n", encoding="utf-8")  # the trap: a folder pol once wrote
    before = _tree(work)
    monkeypatch.chdir(work)
    for args in (
        ["build", "policies", "--out", "."],  # the output contains the input
        ["build", "policies", "--out", "policies"],  # equals it
        ["build", "policies", "--out", "policies/out"],  # lies inside it
        ["docs", "policies", "--out", "."],
        ["docs", "policies/xuzhou.pol", "--guide", "g/guide.md", "--out", "g"],
    ):
        assert main(args) == 2, args
        assert "it would overwrite or contain the input" in capsys.readouterr().err
    assert _tree(work) == before


def test_a_comparison_never_overwrites_a_policy_or_the_project(tmp_path, capsys) -> None:
    yantai = tmp_path / "yantai.pol"
    yantai.write_bytes((POLICIES / "yantai.pol").read_bytes())
    (tmp_path / "subjects.toml").write_bytes((POLICIES / "subjects.toml").read_bytes())
    project = ROOT / "examples" / "compare" / "class1_drug_phase3.json"
    for target in (yantai, project):
        before = target.read_bytes()
        assert main(["compare", str(project), "--policies", str(yantai), "--markdown", str(target)]) == 2
        assert "would overwrite or contain the input" in capsys.readouterr().err
        assert target.read_bytes() == before


def test_a_users_folders_beside_the_output_are_never_removed(tmp_path) -> None:
    out = tmp_path / "out"
    old = tmp_path / ".out.old"  # the name an earlier version of pol used for the old output
    old.mkdir()
    (old / "keep.txt").write_text("mine", encoding="utf-8")
    lookalike = tmp_path / f".out{STAGING}mine"  # pol's own prefix, but not pol's folder
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("mine too", encoding="utf-8")
    for n in range(3):
        replace_folder(out, {"a.txt": f"run {n}"})
    assert (out / "a.txt").read_text(encoding="utf-8") == "run 2"
    assert (old / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (lookalike / "keep.txt").read_text(encoding="utf-8") == "mine too"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".out.old", lookalike.name, "out"])


def test_a_symlink_given_as_the_output_is_not_followed_and_replaced(tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.txt").write_text("precious", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(Exception, match="was not written by pol"):
        replace_folder(link, {"a.txt": "x"})
    assert (real / "data.txt").read_text(encoding="utf-8") == "precious"


def test_outputs_follow_the_umask_not_a_private_mode(tmp_path) -> None:
    out = tmp_path / "site"
    old = os.umask(0o022)
    try:
        replace_folder(out, {"sub/page.md": "x"})
        report = tmp_path / "report.md"
        assert (
            main(
                [
                    "compare",
                    str(ROOT / "examples" / "compare" / "class1_drug_phase3.json"),
                    "--policies",
                    str(POLICIES / "yantai.pol"),
                    str(POLICIES / "suzhou.pol"),
                    str(POLICIES / "jiangsu.pol"),
                    "--markdown",
                    str(report),
                ]
            )
            == 0
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "sub").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "sub" / "page.md").stat().st_mode) == 0o644
    assert stat.S_IMODE(report.stat().st_mode) == 0o644


# A build in a child process that kills itself with SIGKILL at a chosen point of replacing its output.
_KILLED_BUILD = """
import os, shutil, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from pol.compiler import files
point = {point!r}
if point == "writing":
    real = Path.write_text
    def write_text(self, *a, **k):
        if self.name == "pol_runtime.py":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, *a, **k)
    Path.write_text = write_text
else:  # killed right after the swap, before the old output is removed
    shutil.rmtree = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
from pol.compiler.cli import main
main(["build", {policy!r}, "--out", {out!r}])
"""


@pytest.mark.parametrize("point", ["writing", "swapped"])
def test_a_kill_at_any_point_leaves_a_whole_output_and_the_next_run_tidies_up(tmp_path, point) -> None:
    out = tmp_path / "out"
    assert main(["build", str(POLICIES / "xuzhou.pol"), "--out", str(out)]) == 0
    old = _tree(out)
    script = _KILLED_BUILD.format(root=str(ROOT), point=point, policy=str(POLICIES / "yantai.pol"), out=str(out))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == -9, result.stderr
    now = _tree(out)
    if point == "writing":
        assert now == old
    else:
        assert sorted(now) == [MARKER, "pol_runtime.py", "yantai.py"]
    assert [p for p in tmp_path.iterdir() if p.name.startswith(f".out{STAGING}")]  # the kill left one behind
    assert main(["build", str(POLICIES / "suzhou.pol"), "--out", str(out)]) == 0
    assert sorted(_tree(out)) == [MARKER, "pol_runtime.py", "suzhou.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_concurrent_builds_into_one_folder_take_turns(tmp_path) -> None:
    out = tmp_path / "out"
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from pol.compiler.cli import main; "
        f"sys.exit(main(['build', sys.argv[1], '--out', {str(out)!r}]))"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(POLICIES / name)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for name in ("xuzhou.pol", "suzhou.pol", "yantai.pol")
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()
    names = sorted(_tree(out))
    assert names[:2] == [MARKER, "pol_runtime.py"] and len(names) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("names", [("ﬁ", "fi"), ("ｙａｎｔａｉ", "yantai"), ("Yantai", "yantai")])
def test_two_policies_one_module_name_are_refused(tmp_path, capsys, names) -> None:
    for folder, name in zip("ab", names, strict=True):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{name}.pol").write_bytes((POLICIES / "xuzhou.pol").read_bytes())
    assert main(["build", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "out")]) == 2
    assert "would both be written as" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "stem, why",
    [
        ("pol_runtime", "is the runtime"),
        ("decimal", "would hide Python's own"),
        ("datetime", "would hide Python's own"),
        ("class", "is a Python keyword"),
        ("pol", "would hide the installed module pol"),  # the API a script beside the evaluators imports
        ("lark", "would hide the installed module lark"),
    ],
)
def test_a_policy_named_like_the_runtime_or_a_standard_module_is_refused(tmp_path, capsys, stem, why) -> None:
    path = tmp_path / f"{stem}.pol"
    path.write_bytes((POLICIES / "xuzhou.pol").read_bytes())
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 2
    assert why in capsys.readouterr().err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("stem, refused", [("json", False), ("class", False), ("pol_runtime", True), ("Decimal", True)])
def test_javascript_evaluators_are_refused_only_names_of_the_runtimes_files(tmp_path, capsys, stem, refused) -> None:
    path = tmp_path / f"{stem}.pol"
    path.write_bytes((POLICIES / "xuzhou.pol").read_bytes())
    assert main(["build", str(path), "--target", "js", "--out", str(tmp_path / "out")]) == (2 if refused else 0)
    if refused:
        assert "is a file of the runtime" in capsys.readouterr().err and not (tmp_path / "out").exists()
    else:
        assert (tmp_path / "out" / f"{stem}.mjs").is_file()


def test_two_policies_with_one_file_name_are_refused_wherever_policies_are_named(tmp_path, capsys) -> None:
    for folder in "ab":
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "yantai.pol").write_bytes((POLICIES / "yantai.pol").read_bytes())
        (tmp_path / folder / "subjects.toml").write_bytes((POLICIES / "subjects.toml").read_bytes())
    pols = [str(tmp_path / "a"), str(tmp_path / "b")]
    profile = str(ROOT / "examples" / "profiles" / "yantai_class1_drug.json")
    project = str(ROOT / "examples" / "compare" / "class1_drug_phase3.json")
    for args in (
        ["match", profile, "--policies", *pols],
        ["eval-profile", profile, "--policies", *pols],
        ["compare", project, "--policies", *pols],
        ["inputs", "--profile", *pols],
    ):
        assert main(args) == 2, args
        assert "are both called 'yantai'" in capsys.readouterr().err
