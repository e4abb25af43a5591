"""Editor support: the TextMate grammar (generated from grammar.lark) and the VS Code extension built from it."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile

import pytest
from conftest import POLICIES, ROOT
from pygments.token import Comment, Keyword, Literal, Number, Operator, String

from pol.compiler.evaluate import jsrun
from pol.dsl.highlight import PolLexer
from pol.dsl.textmate import grammar

VSCODE = ROOT / "editors" / "vscode"


def test_the_committed_grammar_is_generated_from_grammar_lark() -> None:
    committed = json.loads((VSCODE / "syntaxes" / "pol.tmLanguage.json").read_text(encoding="utf-8"))
    assert committed == grammar(), "run editors/vscode/build (or python -m pol.dsl.textmate) to regenerate it"


def _built(path) -> bool:
    """Whether editors/vscode/build has run; under POL_E2E (CI) it must have."""
    if path.exists():
        return True
    if os.environ.get("POL_E2E"):
        pytest.fail(f"{path} is missing: .ci/run builds it with editors/vscode/build")
    pytest.skip("run editors/vscode/build first")
    return False


def _pygments_kind(token) -> str | None:
    for kind, parent in (("comment", Comment), ("string", String), ("number", Number), ("date", Literal.Date)):
        if token in parent:
            return kind
    if token in Keyword or token in Operator.Word:
        return "keyword"
    return None


def _textmate_kind(scopes: list[str]) -> str | None:
    scope = scopes[-1] if scopes else ""
    for prefix, kind in (
        ("comment", "comment"),
        ("string", "string"),
        ("constant.numeric", "number"),
        ("constant.other.date", "date"),
        ("storage.type", "keyword"),
        ("constant.language", "keyword"),
        ("keyword.operator.word", "keyword"),
        ("keyword.other", "keyword"),
    ):
        if scope.startswith(prefix):
            return kind
    return None


def test_vscode_highlights_every_policy_as_the_pygments_lexer_does() -> None:
    _built(VSCODE / "node_modules" / "vscode-textmate")
    files = sorted(POLICIES.glob("*.pol"))
    done = subprocess.run(
        [jsrun.node(), str(VSCODE / "test" / "tokenize.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    tokenized = json.loads(done.stdout)
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        # Each character's kind as VS Code shows it, line by line.
        vscode: list[str | None] = []
        for tokens in tokenized[str(path)]:
            for piece, scopes in tokens:
                vscode += [_textmate_kind(scopes)] * len(piece)
            vscode.append(None)  # the newline
        pygments: list[str | None] = []
        for token, piece in _tokens(text):
            pygments += [_pygments_kind(token)] * len(piece)
        differ = [
            (text[:i].count("\n") + 1, text[i])
            for i, (a, b) in enumerate(zip(pygments, vscode, strict=False))
            if a != b and not text[i].isspace()
        ]
        assert differ == [], (path.name, differ[:10])
        compared += sum(k is not None for k in vscode)
    assert compared > 100_000  # keywords, strings, figures and comments of every policy were compared


def _tokens(text: str):
    """The Pygments tokens of a text, as (token type, text), in order."""
    return [(token, piece) for _, token, piece in PolLexer().get_tokens_unprocessed(text)]


def test_the_vsix_holds_the_extension_and_its_client_library() -> None:
    vsix = VSCODE / "pol-language.vsix"
    _built(vsix)
    names = set(zipfile.ZipFile(vsix).namelist())
    for needed in (
        "extension/package.json",
        "extension/extension.js",
        "extension/language-configuration.json",
        "extension/syntaxes/pol.tmLanguage.json",
        "extension/node_modules/vscode-languageclient/node.js",
    ):
        assert needed in names
    manifest = json.loads(zipfile.ZipFile(vsix).read("extension/package.json"))
    assert manifest["contributes"]["languages"][0]["extensions"] == [".pol"]
    # The extension starts the language server as `pol lsp`, the command tests/test_lsp.py drives.
    assert '{ command, args: ["lsp"] }' in zipfile.ZipFile(vsix).read("extension/extension.js").decode()
