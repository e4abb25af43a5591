"""Writing generated files so that a failure at any point, even a kill, leaves the previous output or the new one.

Three rules keep users' files safe:

- an output never equals, contains or lies inside an input (`overlapping`), so a build cannot
  replace the policies it reads;
- a folder is replaced only if pol wrote it (it holds MARKER), and every helper folder pol makes
  beside it has a name pol chose and a marker of its own, so nothing of the user's is ever removed;
- the new folder is written beside the old one and swapped in with one atomic rename (Linux's
  RENAME_EXCHANGE), under a lock, so readers and concurrent runs see one whole output or the other.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

# Every folder pol writes holds this file, so that pol only ever replaces a folder it wrote itself.
MARKER = ".pol-output"
# The prefix of the folders pol stages new output in, beside the output; a kill can leave one behind.
STAGING = ".pol-staging-"


class NotOurs(Exception):
    """The output would replace or overwrite something pol did not write, so writing it could lose work."""


def overlapping(out: Path, inputs: Iterable[Path]) -> Path | None:
    """The first input that `out` equals, contains or lies inside, or None when the output is apart from all."""
    target = out.absolute().resolve()
    for given in inputs:
        path = given.absolute().resolve()
        if target == path or target in path.parents or path in target.parents:
            return given
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _exchange_function():
    """glibc's renameat2, when the system has it: the one call that swaps two folders atomically."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _exchange_function()
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step; False when the system cannot, so the caller falls back to two renames."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # an old kernel, or a file system without the flag
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (the output's parent), so two runs writing beside it take turns."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock, even if the process is killed


def _ours(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def _sweep(parent: Path, name: str) -> None:
    """Remove staging folders a killed run left beside `name`: only those pol named and marked."""
    for leftover in parent.glob(f".{name}{STAGING}*"):
        if _ours(leftover) or (leftover.is_dir() and not leftover.is_symlink() and not any(leftover.iterdir())):
            shutil.rmtree(leftover)


def replace_folder(out: Path, files: dict[str, str | bytes]) -> None:
    """Write all files (paths relative to `out`) to a staging folder beside `out`, then swap it in whole.

    An existing `out` is replaced only if it is empty or pol wrote it (it holds MARKER); anything
    else, such as a source folder given by mistake, raises NotOurs and is left untouched.
    """
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    files = {MARKER: "Written by pol; the whole folder is replaced on each run.\n", **files}
    with _locked(out.parent):
        if out.is_symlink() or (out.exists() and not (out.is_dir() and (not any(out.iterdir()) or _ours(out)))):
            raise NotOurs(
                f"{out} exists and was not written by pol (it has no {MARKER} file); "
                "give a new or empty folder, or one pol wrote before"
            )
        _sweep(out.parent, out.name)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{STAGING}", dir=out.parent)).resolve()
        try:
            # mkdtemp makes a private folder; the output gets what the user's umask gives any new folder.
            os.chmod(staging, 0o777 & ~_umask())
            # The marker first: a staging folder a kill leaves behind is then recognisably pol's.
            for name, content in files.items():
                target = staging / name
                if staging not in target.resolve().parents:
                    raise ValueError(f"refusing to write outside the output folder: {name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    target.write_text(content, encoding="utf-8", newline="\n")
            if not out.exists():
                os.rename(staging, out)
            elif _exchange(staging, out):
                shutil.rmtree(staging)  # now the old output
            else:
                # Without an atomic exchange: move the old output aside under a name of pol's own.
                aside = Path(tempfile.mkdtemp(prefix=f".{out.name}{STAGING}", dir=out.parent))
                os.rmdir(aside)
                os.rename(out, aside)
                os.rename(staging, out)
                shutil.rmtree(aside)
        finally:
            if staging.exists() and staging != out.resolve():
                shutil.rmtree(staging)


class NotRegularFile(OSError):
    """A path that is not a regular file (a FIFO, a device, a folder), or one larger than pol reads."""


def read_source(path: Path, limit: int) -> tuple[str, bool]:
    """A policy file's text and whether it began with a UTF-8 BOM, read only from a regular file of at most
    `limit` bytes: a FIFO would block and /dev/zero never end."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file")
        data = b""
        while len(data) <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - len(data)))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > limit:
        raise NotRegularFile(errno.EFBIG, f"larger than {limit} bytes, the most pol reads of a policy")
    bom = data.startswith(b"\xef\xbb\xbf")
    return data.decode("utf-8-sig"), bom


def write_file(path: Path, content: str, like: Path | None = None) -> None:
    """Write one file beside itself and move it into place, so readers never see half of it.

    With `like`, the file it replaces: its permissions are kept, and a symbolic link is followed, so the
    file it points to is rewritten and the link stays a link.
    """
    mode = 0o666 & ~_umask()
    if like is not None:
        path = Path(os.path.realpath(like))
        mode = stat.S_IMODE(os.stat(path).st_mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp's file is private; the result should have the mode asked for
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)


@contextlib.contextmanager
def staged(path: Path) -> Iterator[Path]:
    """A file name beside `path` to write into; moved onto `path` when the block ends well, removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        os.chmod(staging, 0o666 & ~_umask())  # mkstemp's file is private; the result should not be
        yield Path(staging)
        os.replace(staging, path)  # readers never see half an output
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
