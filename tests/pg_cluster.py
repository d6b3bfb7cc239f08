"""A throwaway PostgreSQL server for the tests (and benchmarks): Debian's binaries, a cluster
in a temporary folder, a free port on 127.0.0.1, trust authentication, C collation (text sorts
byte-wise, as in SQLite), fsync off (nothing here must survive a power cut).

PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres`` user
the Debian package creates, and is started through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class Unavailable(Exception):
    """No PostgreSQL server binaries here (scripts/test installs Debian's ``postgresql``)."""


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise Unavailable("PostgreSQL server binaries (initdb, postgres) not found; install Debian's postgresql package")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    process: subprocess.Popen

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://cbec@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_owner() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise Unavailable("running as root without runuser: cannot start PostgreSQL as an unprivileged user")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no 'postgres' user to run the server") from None
    return ["runuser", "-u", "postgres", "--"]


def start(max_connections: int = 100, options: dict[str, str] | None = None) -> Cluster:
    """A new cluster; ``options``: more server settings (``-c name=value``), e.g. for a benchmark."""
    bins, owner = bindir(), _as_owner()
    folder = Path(tempfile.mkdtemp(prefix="cbec-pg-"))
    if owner:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        [*owner, str(bins / "initdb"), "-D", str(data), "-U", "cbec", "--auth=trust", "--locale=C", "--encoding=UTF8", "-N"],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - the server writes it until stop()
    process = subprocess.Popen(
        [*owner, str(bins / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
         "-c", "full_page_writes=off", "-c", f"max_connections={max_connections}",
         *(part for name, value in (options or {}).items() for part in ("-c", f"{name}={value}"))],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    cluster = Cluster(folder, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("PostgreSQL did not start: " + (folder / "server.log").read_text()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
            import psycopg

            psycopg.connect(cluster.url(), connect_timeout=2).close()
            return cluster
        except OSError:
            time.sleep(0.1)
        except Exception:  # noqa: BLE001 - "the database system is starting up"
            time.sleep(0.1)
    cluster.stop()
    raise RuntimeError("PostgreSQL did not accept connections within 30 s")
