"""A throw-away PostgreSQL server on loopback for the tests that need one (skipped if absent)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((f"{d}/{name}" for d in BIN_DIRS if Path(f"{d}/{name}").exists()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL cluster, or None if it cannot be started."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    workdir = Path(tempfile.mkdtemp(prefix="causette-pg-"))
    if as_user:
        shutil.chown(workdir, user="postgres")
    data, port = workdir / "data", _free_port()
    run = {"check": True, "capture_output": True, "timeout": 60}
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-U", "causette", "--auth=trust",
                        "-E", "UTF8"], **run)  # fmt: skip
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(workdir / "log"), "-w",
                        "-o", f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1", "start"],
                       **run)  # fmt: skip
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(workdir, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql://causette@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)
