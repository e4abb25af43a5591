"""The parts every command shares: the consoles, failing with a message, compiling the files given."""

from __future__ import annotations

import argparse
import datetime
import functools
import keyword
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from pol.compiler.backends.python import RUNTIME_MODULE
from pol.compiler.check.report import escape, print_diagnostics, render_json
from pol.compiler.cli.arguments import EXIT_BAD_INPUT, EXIT_POLICY_ERRORS, date_or_error
from pol.compiler.evaluate.pipeline import (
    SUBJECTS_FILE,
    Compiled,
    compile_file,
    load_evaluator,
    policy_files,
    python_source,
)
from pol.compiler.files import overlapping
from pol.dsl.diagnostics import Lang


class Command:
    """Holds the consoles so tests can capture output; each command is a method returning an exit code."""

    def __init__(self, out: Console | None = None, err: Console | None = None):
        self.out = out or Console(highlight=False, soft_wrap=True)
        self.err = err or Console(stderr=True, highlight=False, soft_wrap=True)
        self.lang: Lang = "zh"  # of diagnostics about policies; `--lang` sets it

    def fail(self, message: str) -> int:
        self.err.print(f"[bold red]error:[/] {escape(message)}")
        return EXIT_BAD_INPUT

    def fail_all(self, message: str, problems: list[str]) -> int:
        """Bad input with several problems: one line saying what, then each problem."""
        self.err.print(f"[bold red]error:[/] {escape(message)}")
        for problem in problems:
            self.err.print(f"  - {escape(problem)}")
        return EXIT_BAD_INPUT

    def compile(self, paths: Sequence[str], fmt: str = "text") -> tuple[list[Compiled], bool]:
        """Check every file, print every diagnostic, and say whether all files are free of errors."""
        files = policy_files(list(paths))
        compiled = [compile_file(p) for p in files]
        diagnostics = [d for c in compiled for d in c.diagnostics]
        if fmt == "json":
            self.out.print(render_json(diagnostics, self.lang), markup=False, highlight=False)
        elif diagnostics:
            print_diagnostics(diagnostics, {c.source.path: c.source for c in compiled}, self.err, self.lang)
        return compiled, all(c.ok for c in compiled)

    def apart(self, out: str, inputs: Sequence[str | None], what: str) -> int | None:
        """Exit code 2 with a message when the output `out` equals, contains or is inside one of the inputs.

        A policy's inputs include the subjects taxonomy read beside it (subjects.toml)."""
        given = [Path(i) for i in inputs if i]
        given += [p.parent / SUBJECTS_FILE for p in given if p.suffix == ".pol"]
        clash = overlapping(Path(out), given)
        if clash is None:
            return None
        return self.fail(
            f"refusing to write {what} to {out}: it would overwrite or contain the input {clash}; "
            "give an output outside every input"
        )

    def checked(self, paths: Sequence[str]) -> list[Compiled] | int:
        """Every file of `paths` checked without errors, or the exit code to stop with."""
        compiled, ok = self.compile(paths)
        if not compiled:
            return self.fail("no .pol files found in " + ", ".join(paths))
        return compiled if ok else EXIT_POLICY_ERRORS

    def evaluator(self, path: str) -> tuple[Compiled, Any] | int:
        compiled, ok = self.compile([path])
        if not compiled:
            return self.fail(f"no .pol file at {path}")
        if not ok:
            return EXIT_POLICY_ERRORS
        return compiled[0], load_evaluator(python_source(compiled[0]), module_name(Path(path)))


def as_of_day(args: argparse.Namespace) -> datetime.date | str:
    """The day of --as-of, today when it is not given, or the message saying it is not a date."""
    return date_or_error(args.as_of) if args.as_of else datetime.date.today()


def module_name(path: Path) -> str:
    """The module name of a policy's evaluator, as Python imports it: NFKC, so ﬁ.pol and fi.pol are one."""
    name = re.sub(r"\W", "_", unicodedata.normalize("NFKC", path.stem))
    return name if name and not name[0].isdigit() else f"policy_{name}"


def unimportable(name: str, target: str = "python") -> str | None:
    """Why an evaluator of this name cannot sit beside the others and be imported, or None.

    A JavaScript module is imported by its path, so only the runtime's own files are in its way; a Python
    module is imported by its name, so it must not hide a module Python or the installed packages (pol's own
    API among them) would find first.
    """
    if target == "js":
        from pol.compiler.backends import js as js_backend

        taken = {Path(f).stem.casefold() for f in dict(js_backend.runtime_files())}
        return "is a file of the runtime every evaluator imports" if name.casefold() in taken else None
    if name == RUNTIME_MODULE:
        return "is the runtime every evaluator imports"
    if name in sys.stdlib_module_names:
        return f"would hide Python's own module {name}"
    if keyword.iskeyword(name):
        return "is a Python keyword and cannot be imported"
    if name in installed_modules():
        return f"would hide the installed module {name} (from {', '.join(installed_modules()[name])})"
    return None


@functools.cache
def installed_modules() -> Mapping[str, list[str]]:
    """The top-level modules of the installed distributions (pol among them), each with its distributions."""
    import importlib.metadata

    return importlib.metadata.packages_distributions()
