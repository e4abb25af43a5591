"""Run the stages for one policy file: read, parse, check, generate Python, load the evaluator in-process."""

from __future__ import annotations

import sys
import tomllib
import types
from pathlib import Path

import attrs

from pol.compiler import runtime
from pol.compiler.backends.python import RUNTIME_MODULE, generate
from pol.compiler.check.checker import CheckedPolicy, check
from pol.compiler.files import read_source
from pol.compiler.lower import lower
from pol.dsl.diagnostics import Diagnostic, T, Text, error
from pol.dsl.parser import parse
from pol.dsl.source import SourceFile, Span

# The taxonomy of subjects, looked for beside each policy file.
SUBJECTS_FILE = "subjects.toml"

# A policy larger than this is refused rather than parsed: no real document comes near it.
MAX_SOURCE_BYTES = 20 * 1024 * 1024


@attrs.define
class Compiled:
    """One file taken through the front end: its source, the checked policy (if it parsed) and all diagnostics."""

    source: SourceFile
    policy: CheckedPolicy | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.policy is not None and not any(d.severity == "error" for d in self.diagnostics)


def _file_error(path: str, message: Text) -> Diagnostic:
    return error("POL001", message, Span(file=path, line=1, column=1, end_line=1, end_column=1))


def compile_file(path: str | Path) -> Compiled:
    """Read and check one `.pol` file; problems reading it become diagnostics, never exceptions."""
    name = str(path)
    try:
        text, _ = read_source(Path(path), MAX_SOURCE_BYTES)
    except UnicodeDecodeError as exc:
        return Compiled(
            SourceFile(name, ""),
            None,
            [
                _file_error(
                    name, T(f"文件不是 UTF-8 文本（{exc.reason}）", f"the file is not UTF-8 text ({exc.reason})")
                )
            ],
        )
    except OSError as exc:
        return Compiled(
            SourceFile(name, ""),
            None,
            [_file_error(name, T(f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"))],
        )
    subjects = Path(path).parent / SUBJECTS_FILE
    if subjects.is_file():
        taxonomy = read_subjects(subjects)
        if isinstance(taxonomy, Diagnostic):
            return Compiled(SourceFile(name, text), None, [taxonomy])
        return compile_text(text, name, taxonomy)
    return compile_text(text, name)


def compile_text(text: str, name: str = "<string>", subjects: dict[str, str] | None = None) -> Compiled:
    """Check policy source text, with the subjects taxonomy its clauses' `subject` must come from."""
    source = SourceFile(name, text)
    policy = check(parse(text, name), subjects)
    return Compiled(source, policy, policy.diagnostics)


def read_subjects(path: Path) -> dict[str, str] | Diagnostic:
    """The subjects taxonomy (`[subjects]` name = description), or a diagnostic saying why it cannot be read."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return _file_error(str(path), T(f"无法读取事项分类表：{exc}", f"cannot read the subjects taxonomy: {exc}"))
    except tomllib.TOMLDecodeError as exc:
        return _file_error(
            str(path), T(f"事项分类表不是有效的 TOML：{exc}", f"the subjects taxonomy is not valid TOML: {exc}")
        )
    table = data.get("subjects")
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        return _file_error(
            str(path),
            T(
                '事项分类表需要一个 [subjects] 表，每行 名称 = "说明"',
                'the subjects taxonomy needs a [subjects] table of name = "description"',
            ),
        )
    return dict(table)


def python_source(compiled: Compiled) -> str:
    """The evaluator module's source for a file that checked without errors."""
    assert compiled.ok and compiled.policy is not None
    return generate(lower(compiled.policy, compiled.source.path))


def load_evaluator(source: str, name: str = "pol_evaluator") -> types.ModuleType:
    """Execute generated evaluator source as a module, with this package's runtime standing in for pol_runtime."""
    sys.modules.setdefault(RUNTIME_MODULE, runtime)
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    code = compile(source, module.__file__, "exec")
    exec(code, module.__dict__)  # the source is our own generated code, never policy text
    return module


def policy_files(paths: list[str]) -> list[Path]:
    """The `.pol` files named, with folders searched recursively, in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob("*.pol")))
        else:
            out.append(p)
    return out
