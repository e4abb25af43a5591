"""Every error code has a small wrong policy in tests/bad/ that must produce exactly the diagnostics it lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pol.compiler.drafting.lint import lint
from pol.compiler.evaluate.pipeline import compile_file
from pol.dsl.diagnostics import CODES, CODES_ZH

BAD = Path(__file__).parent / "bad"
EXPECTED = re.compile(r"^# (?:error|warning): (POL\d+) (\d+):(\d+) (.*)\n#   zh: (.*)$", re.M)


def expectations(path: Path) -> list[tuple[str, int, int, str, str]]:
    """What a file says it must produce: code, line, column, the English message and the Chinese one."""
    return [
        (c, int(line), int(col), en, zh) for c, line, col, en, zh in EXPECTED.findall(path.read_text(encoding="utf-8"))
    ]


@pytest.mark.parametrize("path", sorted(BAD.glob("*.pol")), ids=lambda p: p.stem)
def test_bad_policy_gives_exactly_its_diagnostics(path: Path) -> None:
    compiled = compile_file(path)
    diagnostics = list(compiled.diagnostics)
    if path.stem.startswith("POL6"):  # the fidelity codes come from `pol lint`
        assert compiled.ok and compiled.policy is not None
        diagnostics += lint(compiled.policy, compiled.source)
    if path.stem.startswith("POL7") or "_prove_" in path.stem:  # the properties come from `pol prove`
        assert compiled.ok and compiled.policy is not None
        diagnostics += proved(compiled)
    got = [(d.code, d.span.line, d.span.column, d.message, d.message_in("zh")) for d in diagnostics]
    assert got == expectations(path)
    for d in diagnostics:  # every message and note is written in both languages, the Chinese in Chinese
        for text in (d.text, *d.note_texts):
            assert text.zh != text.en or not re.search("[a-z]{4}", text.en), text
            assert re.search("[\u4e00-\u9fff]", text.zh), text


def proved(compiled) -> list:
    from pol.compiler.drafting import prove
    from pol.compiler.evaluate.pipeline import load_evaluator, python_source
    from pol.compiler.lower import lower

    program = lower(compiled.policy, compiled.source.path)
    prover = prove.Prover(compiled.policy, program, load_evaluator(python_source(compiled)))
    return prove.diagnostics(compiled.policy, list(prover.findings()), compiled.source)


# Codes no policy text can produce: they guard what the evaluators do by construction, and their tests break
# the evaluators on purpose instead (tests/test_prove.py: a date gate that lets money through, a ledger that
# pays one subject twice).
GUARDS = {"POL707", "POL708"}


def test_every_code_has_a_bad_policy() -> None:
    covered = {code for path in BAD.glob("*.pol") for code, *_ in expectations(path)}
    assert covered == set(CODES) - GUARDS


def test_each_file_is_named_for_the_code_it_shows() -> None:
    for path in BAD.glob("*.pol"):
        assert path.stem.split("_")[0] in {c for c, *_ in expectations(path)}, path


def test_every_code_is_summed_up_in_both_languages_and_listed_in_the_chinese_reference() -> None:
    assert set(CODES_ZH) == set(CODES)
    assert all(re.search("[\u4e00-\u9fff]", CODES_ZH[code]) for code in CODES)
    reference = (Path(__file__).parent.parent / "docs" / "language.zh.md").read_text(encoding="utf-8")
    table = reference[reference.index("## 错误代码") :]
    assert [code for code in CODES if f"| {code} |" not in table] == []


def test_lang_en_gives_the_english_and_the_default_is_chinese(capsys) -> None:
    from pol.compiler.cli import main

    path = str(BAD / "POL102_defined_twice.pol")
    assert main(["check", "--format", "json", path]) == 1
    [zh] = json.loads(capsys.readouterr().out)
    assert main(["check", "--format", "json", "--lang", "en", path]) == 1
    [en] = json.loads(capsys.readouterr().out)
    assert (zh["message"], zh["summary"]) == ("“费用”定义了两次", "名称重复定义")
    assert (en["message"], en["summary"]) == ("'费用' is defined twice", "name defined twice")
    assert zh["notes"] == ["第一次定义在第 4 行"] and en["notes"] == ["first defined at line 4"]
