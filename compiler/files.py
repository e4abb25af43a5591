"""Writing generated files so that a failure part-way leaves the previous output untouched."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


# Every folder pol writes holds this file, so that pol only ever replaces a folder it wrote itself.
MARKER = ".pol-output"


class NotOurs(Exception):
    """The output folder exists, is not empty and was not written by pol, so replacing it would lose work."""


def replace_folder(out: Path, files: dict[str, str | bytes]) -> None:
    """Write all files (paths relative to `out`) to a temporary folder beside `out`, then swap it in.

    An existing `out` is replaced only if it is empty or pol wrote it (it holds MARKER); anything
    else, such as a source folder given by mistake, raises NotOurs and is left untouched.
    """
    out = out.absolute()
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / MARKER).is_file())):
        raise NotOurs(f"{out} exists and was not written by pol (it has no {MARKER} file); "
                      "give a new or empty folder, or one pol wrote before")
    files = {**files, MARKER: "Written by pol; the whole folder is replaced on each run.\n"}
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent)).resolve()
    try:
        for name, content in sorted(files.items()):
            target = staging / name
            if staging not in target.resolve().parents:
                raise ValueError(f"refusing to write outside the output folder: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old"
            if old.exists():
                shutil.rmtree(old)
            os.replace(out, old)
        os.replace(staging, out)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_file(path: Path, content: str) -> None:
    """Write one file beside itself and move it into place, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
