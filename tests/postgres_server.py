"""A PostgreSQL server of the tests' own: initdb in a temporary folder, listening on a socket there only.

Debian's `postgresql` package provides the server (`.ci/run` installs it). The server refuses to run as
root, so as root it runs as the `postgres` user the package creates. Without a server the tests that need
one are skipped, saying why, except under POL_E2E (CI), where that is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _unavailable(reason: str) -> None:
    if os.environ.get("POL_E2E"):
        pytest.fail(f"PostgreSQL is needed and {reason} (.ci/run installs Debian's postgresql)")
    pytest.skip(f"PostgreSQL {reason}")


def server() -> Iterator[str]:
    """Start a server; yield its connection string; stop it and remove its folder."""
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    bin_dir = _binaries()
    if bin_dir is None:
        _unavailable("is not installed (no initdb)")
        return
    folder = Path(tempfile.mkdtemp(prefix="pol-pg-"))
    data = folder / "data"
    as_user: list[str] = []
    user = "pol"
    if os.geteuid() == 0:  # the server will not run as root
        if shutil.which("runuser") is None:
            _unavailable("cannot be started as root without runuser")
        shutil.chown(folder, "postgres", "postgres")
        os.chmod(folder, 0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
             "start"],
            check=True, capture_output=True,
        )  # fmt: skip
    except (subprocess.CalledProcessError, OSError) as exc:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"did not start: {getattr(exc, 'stderr', b'') or ''!r} {log[-500:]}")
        return
    try:
        yield f"host={folder} dbname=postgres user={user}"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)
