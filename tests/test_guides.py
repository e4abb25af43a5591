"""The guides' policy code works as written: complete files check and pass their examples, fragments parse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pol.compiler.cli import main
from pol.dsl.parser import parse

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ["docs/tutorial.zh.md", "docs/language.zh.md", "docs/draft.zh.md", "docs/tutorial.md", "docs/language.md"]
BLOCK = re.compile(r"```pol\n(.*?)```", re.S)


def blocks(guide: str) -> list[str]:
    return BLOCK.findall((ROOT / guide).read_text(encoding="utf-8"))


def complete(block: str) -> bool:
    """A whole policy file: its header and at least one clause."""
    starts = [line.split(" ", 1)[0] for line in block.splitlines()]
    return "policy" in starts and "clause" in starts


def no_syntax_error(text: str) -> bool:
    return not any(d.code == "POL001" for d in parse(text, "fragment.pol").diagnostics)


@pytest.mark.parametrize("guide", GUIDES)
def test_every_fragment_parses_where_it_belongs(guide) -> None:
    # A fragment is top-level declarations, a clause's lines, or an example's lines.
    for block in blocks(guide):
        assert (
            no_syntax_error(block)
            or no_syntax_error(f"clause 片段 {{\n{block}\n}}\n")
            or no_syntax_error(f'clause 片段 {{\n  example "片段" {{\n{block}\n  }}\n}}\n')
        ), block


def test_the_chinese_tutorial_builds_one_file_that_checks_and_passes_its_examples(tmp_path, capsys) -> None:
    found = blocks("docs/tutorial.zh.md")
    [whole] = [b for b in found if complete(b)]
    folder = tmp_path / "mypolicies"  # where the tutorial says to save it
    folder.mkdir()
    (folder / "sales_award.pol").write_text(whole, encoding="utf-8")
    assert main(["check", str(folder)]) == 0
    assert main(["lint", str(folder)]) == 0
    assert main(["test", str(folder)]) == 0
    assert "算例通过 3 个，未通过 0 个" in capsys.readouterr().out
    # Every step's lines are in the complete file, in order (the examples of step 4 go inside the clauses of
    # step 3), so following the steps gives that file.
    lines = [line.strip() for line in whole.splitlines() if line.strip()]
    for block in found:
        if block is whole:
            continue
        rest = iter(lines)
        assert all(
            any(line == wanted for line in rest) for wanted in (w.strip() for w in block.splitlines() if w.strip())
        ), block


def test_the_chinese_tutorials_error_example_is_what_pol_check_prints(tmp_path, capsys) -> None:
    text = (ROOT / "docs" / "tutorial.zh.md").read_text(encoding="utf-8")
    [whole] = [b for b in blocks("docs/tutorial.zh.md") if complete(b)]
    [shown] = re.findall(r"```text\n(mypolicies/sales_award\.pol:.*)\n```", text)
    folder = tmp_path / "mypolicies"
    folder.mkdir()
    (folder / "sales_award.pol").write_text(
        whole.replace("年销售收入 突破 10亿", "年销售收人 突破 10亿"), encoding="utf-8"
    )
    assert main(["check", str(folder)]) == 1
    assert shown.replace("mypolicies/", f"{folder}/") in capsys.readouterr().err


def test_the_complete_policies_of_the_chinese_reference_check_and_pass_their_examples(tmp_path, capsys) -> None:
    # The forms the reference teaches by a whole file (先扣除后封顶, 分档取大, a table in a definition, 或 in a tier)
    # are computed as it says.
    wholes = [b for b in blocks("docs/language.zh.md") if complete(b)]
    assert wholes
    for number, whole in enumerate(wholes):
        path = tmp_path / f"reference_{number}.pol"
        path.write_text(whole, encoding="utf-8")
        assert main(["check", str(path)]) == 0
        assert main(["test", str(path)]) == 0
        out = capsys.readouterr().out
        assert "未通过 0 个" in out and not out.startswith("算例通过 0 个"), out


def test_the_drafting_chapter_runs_as_written(tmp_path, capsys) -> None:
    """从原文起草: the text pasted, the draft pol draft prints for it byte for byte, and the finished file
    that checks, lints and passes its examples."""
    page = (ROOT / "docs" / "draft.zh.md").read_text(encoding="utf-8")
    [text] = re.findall(r"```text\n(.*?)```", page, re.S)
    drafted, final = blocks("docs/draft.zh.md")
    (tmp_path / "xincailiao.txt").write_text(text, encoding="utf-8")
    assert main(["draft", str(tmp_path / "xincailiao.txt"), "--out", str(tmp_path / "xincailiao.pol")]) == 0
    assert (tmp_path / "xincailiao.pol").read_text(encoding="utf-8") == drafted
    folder = tmp_path / "done"
    folder.mkdir()
    (folder / "xincailiao.pol").write_text(final, encoding="utf-8")
    capsys.readouterr()
    assert [main([command, str(folder)]) for command in ("check", "lint", "test")] == [0, 0, 0]
    assert "算例通过 5 个，未通过 0 个" in capsys.readouterr().out
