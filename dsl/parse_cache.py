"""Declarations already parsed, kept by their text: a file re-parses only the declarations that changed.

`parser.parse` splits a file into top-level declarations and parses each alone; a declaration that parsed
cleanly is kept here, by the file's path and the declaration's text, with the line it started on: found
again on another line (lines added or removed above it), its spans are moved, not parsed again. Two levels:
in this process (the language server re-parses on every keystroke), and, for the command line, on disk in
the user's cache folder (a fresh `pol check` of a file it has seen), one pickle per file, written whole and
moved into place. Everything the parse depends on — pol's version and the text of the grammar and of the
parser's own modules — is in each key's salt, so a changed parser never reads an old tree. A cache that
cannot be read or written is no cache: the declaration is parsed again."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from pol.dsl import ast
from pol.dsl.source import Span

_MEMORY: OrderedDict[str, dict[str, Any]] = OrderedDict()  # path -> key -> declarations, most recent last
MEMORY_FILES = 64  # the files whose declarations this process keeps
# The disk level is for commands run once per process (`pol check`), turned on by the command line's entry
# point; a long-lived process (the language server, the HTTP service, tests) keeps to memory, so an edit
# costs no write of the file's whole cache.
DISK = False
KEPT_FILES = 256  # the files whose declarations the disk keeps, the most recently parsed
_MODULES = (
    "ast.py",
    "builder.py",
    "parser.py",
    "units.py",
    "words.py",
    "diagnostics.py",
    "source.py",
    "parse_cache.py",
)


@functools.cache
def _salt() -> str:
    """What a parse depends on besides its text: pol's version, the grammar and the parser's modules."""
    from pol import __version__
    from pol.dsl.grammar import grammar_text

    digest = hashlib.sha256(__version__.encode() + grammar_text().encode())
    here = Path(__file__).parent
    for name in _MODULES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            return ""  # a parser we cannot see whole: do not cache
    return digest.hexdigest()


def _folder() -> Path | None:
    """The disk cache's folder (POL_CACHE_DIR, else the user's cache folder), or None when disabled."""
    if not DISK or os.environ.get("POL_CACHE_DIR") == "":
        return None
    base = os.environ.get("POL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "pol"
    )
    return Path(base) / "parse"


def key(chunk: str) -> str:
    """A declaration's key: its text (where it stands in the file is kept beside it, see FileCache.get)."""
    return hashlib.sha256(f"{_salt()}\0{chunk}".encode()).hexdigest()


def shifted(node: Any, lines: int) -> Any:
    """A parsed declaration moved down by `lines` lines (up when negative): every span of it, and nothing else."""
    kind = type(node)
    if kind is tuple or kind is list:
        return kind(shifted(x, lines) for x in node)
    if kind is Span:
        return Span(
            file=node.file,
            line=node.line + lines,
            column=node.column,
            end_line=node.end_line + lines,
            end_column=node.end_column,
        )
    names = ast.field_names(kind)
    span = getattr(node, "span", None)
    if names is None or span is None:  # a value, not a node of a declaration (every such node has a span)
        return node
    # The constructor, not attrs.evolve: a declaration has hundreds of nodes, and evolve looks up each field.
    return kind(span=shifted(span, lines), **{n: shifted(getattr(node, n), lines) for n in names})


class FileCache:
    """The declarations of one file kept from earlier parses, and those of this parse, to keep for the next."""

    def __init__(self, path: str):
        self.path = path
        self.enabled = bool(_salt()) and path != "<string>"
        self.found: dict[str, Any] = dict(_MEMORY.get(path, {})) if self.enabled else {}
        self.kept: dict[str, Any] = {}
        self.changed = False  # a declaration parsed anew, or one kept before no longer in the file
        folder = _folder()
        self.file = folder / (hashlib.sha256(path.encode()).hexdigest() + ".pickle") if folder else None
        if self.enabled and not self.found and self.file is not None:
            try:
                with open(self.file, "rb") as fh:
                    stored = pickle.load(fh)
                if isinstance(stored, dict) and stored.get("salt") == _salt():
                    self.found = stored["entries"]
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError, TypeError, ValueError):
                self.found = {}

    def get(self, k: str, first_line: int) -> Any | None:
        """The declarations parsed before from the same text, their spans moved to where it starts now: an edit
        that adds or removes lines above a declaration costs a shift of its spans, not a parse."""
        found = self.found.get(k)
        if found is None:
            return None
        line, decls = found
        if line != first_line:
            # Kept in memory where it now stands; the disk is rewritten only for a declaration parsed anew
            # (writing the whole file's trees costs more than shifting them again next time).
            decls = shifted(decls, first_line - line)
        self.kept[k] = (first_line, decls)
        return decls

    def put(self, k: str, first_line: int, decls: Any) -> None:
        self.kept[k] = (first_line, decls)
        self.changed = True

    def save(self) -> None:
        """Keep this parse's declarations (and only them: a declaration no longer in the file is dropped)."""
        if not self.enabled:
            return
        _MEMORY[self.path] = self.kept
        _MEMORY.move_to_end(self.path)
        while len(_MEMORY) > MEMORY_FILES:
            _MEMORY.popitem(last=False)
        if self.file is None or not (self.changed or len(self.kept) != len(self.found)):
            return
        staging = None
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, staging = tempfile.mkstemp(prefix=".parse-", dir=self.file.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"salt": _salt(), "entries": self.kept}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(staging, self.file)
            _prune(self.file.parent)
        except (OSError, pickle.PicklingError, RecursionError):
            pass  # no cache this time; the next run parses again
        finally:
            if staging is not None and os.path.exists(staging):
                os.unlink(staging)


def _prune(folder: Path) -> None:
    """Keep the KEPT_FILES files parsed most recently: a folder of many files' caches stays small."""
    files = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEPT_FILES:]:
        old.unlink(missing_ok=True)
