"""Web chat throughput on SQLite, on PostgreSQL with one replica, and with two (issue 17).

    .venv/bin/python benchmarks/replica_load.py [--sessions 24] [--duration 20] [--warmup 3]

Starts everything on 127.0.0.1 and stops it at the end: a throwaway PostgreSQL server
(tests/pg_cluster.py: Debian's binaries, a temporary folder, a free port) and `cbec-bot serve`
processes (this checkout's code) with the web chat's flood limits lifted. Each of ``--sessions``
concurrent sessions sends dev-set enquiries (tests/data/dev_set.yaml) to POST /api/chat, the next
one as soon as the reply arrives (closed loop); with two replicas each message goes to the next
replica in turn, as a load balancer without sticky sessions would, so every session's context
alternates between them. Prints req/s, p50 and p99 latency, errors, and the enquiries logged
against the replies with HTTP 200, one line per setup and one table.

Where the CPU goes, per request and setup: each replica's processes, the PostgreSQL server's
(every backend, with those that ended), the load generator (this process), and apart what other
processes on the machine used meanwhile (a shared machine: compare runs made in the same
minutes); the server's transactions, rows and WAL per request (``pg_stat_database``,
``pg_stat_wal``), with ``--statements`` each statement's calls and execution time per request
(``pg_stat_statements``). From the CPU per request, the req/s the cores would allow ("ceiling")
and so the most two replicas could reach against one. ``--durable`` runs PostgreSQL with fsync
and synchronous_commit on (the throwaway cluster has them off); ``--setups pg1,pg2`` runs some.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]
from web_load import Connection, is_enquiry  # noqa: E402 - the same wire client and enquiry rule as the web chat's benchmark

SERVE = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())", "serve"]
LOAD_ENV = {"CBEC_WEB_CLIENT_LIMIT": "0", "CBEC_FLOOD_LIMIT": "1000000", "CBEC_LOG_LEVEL": "WARNING",
            "CBEC_SECRET": "replica-load-benchmark-secret-of-32-bytes-or-more"}  # fmt: skip


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def start(db: str, folder: Path, name: str) -> tuple[subprocess.Popen, str]:
    from pg_cluster import free_port

    port, workdir = free_port(), folder / name
    workdir.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CBEC_")}
    env.update(LOAD_ENV, CBEC_DB=db, CBEC_SPOOL_DIR=str(folder / "spool"), PYTHONPATH=str(ROOT))
    with (workdir / "serve.log").open("wb") as sink:
        process = subprocess.Popen([*SERVE, "--port", str(port)], env=env, cwd=workdir, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"cbec-bot serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}")


async def load(urls: list[str], sessions: int, seconds: float, texts: list[str], tag: str) -> Results:
    import orjson

    results = Results()
    deadline = time.monotonic() + seconds
    encoded = [orjson.dumps(text) for text in texts]  # the JSON of each text, built once

    async def session(n: int) -> None:
        clients = [Connection(urlparse(url).hostname, urlparse(url).port) for url in urls]  # one connection to each replica
        prefix = b'{"session":"%s-%04d","text":' % (tag.encode(), n)
        sent = 0
        while time.monotonic() < deadline:
            client = clients[(n + sent) % len(urls)]  # the next message goes to the next replica
            body = prefix + encoded[(n * 37 + sent) % len(texts)] + b"}"
            sent += 1
            started = time.perf_counter()
            try:
                status, payload = await asyncio.wait_for(client.post_raw("/api/chat", body), 60)
                ok = status == 200 and bool(orjson.loads(payload).get("replies"))
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                ok = False
            if ok:
                results.latencies.append(time.perf_counter() - started)
            else:
                results.errors += 1
        for client in clients:
            client.close()

    started = time.monotonic()
    await asyncio.gather(*(session(n) for n in range(sessions)))
    results.seconds = time.monotonic() - started
    return results


def run(main: Any) -> Any:
    """``asyncio.run`` on uvloop (as the replicas' uvicorn runs) where it is installed: the load
    generator takes less of the CPU the replicas need."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def logged(db: str) -> int:
    from bot.storage import open_database

    database = open_database(db)
    try:
        return database.query("SELECT count(*) AS n FROM enquiries WHERE channel = 'web'")[0]["n"]
    finally:
        database.close()


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree(root: int) -> list[int]:
    """``root`` and every process under it (a replica's, or the PostgreSQL server's)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def cpu(root: int) -> float:
    """CPU seconds used so far by ``root``'s processes, with the children they have reaped (a
    PostgreSQL backend that ended is counted in the postmaster's)."""
    total = 0
    for pid in tree(root):
        if fields := _stat(pid):
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def machine() -> tuple[float, float, float, float]:
    """The whole machine's CPU seconds so far: (in processes, in interrupts, stolen by the host, all).
    What processes used beyond ours is other people's work."""
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) / TICK for v in Path("/proc/stat").read_text().split()[1:9])
    return user + nice + system, irq + softirq, steal, user + nice + system + idle + iowait + irq + softirq + steal


@dataclass
class Split:
    """CPU seconds per request, by who spent them, and the database's work per request."""

    replicas: list[float]
    postgres: float
    generator: float
    other: float  # used by other processes on the machine
    interrupts: float
    stolen: float  # taken by the virtual machine's host
    busy: float  # share of the machine's CPU in use during the run (with interrupts and steal)
    database: dict[str, float] = field(default_factory=dict)
    statements: list[tuple[float, float, str]] = field(default_factory=list)  # calls and ms executing, per request

    @property
    def total(self) -> float:
        return sum(self.replicas) + self.postgres + self.generator

    def line(self) -> str:
        each = " + ".join(f"{ms * 1000:.2f}" for ms in self.replicas)
        text = (f"  CPU ms/request: replicas {each}, postgres {self.postgres * 1000:.2f}, load generator "
                f"{self.generator * 1000:.2f}, total {self.total * 1000:.2f} (other processes {self.other * 1000:.2f}, "
                f"interrupts {self.interrupts * 1000:.2f}, stolen by the host {self.stolen * 1000:.2f}; machine {self.busy:.0%} busy)")  # fmt: skip
        if self.database:
            text += "\n  per request: " + ", ".join(f"{name} {value:.2f}" for name, value in self.database.items())
        for calls, ms, query in self.statements:
            text += f"\n    {calls:5.2f} {ms:6.3f} ms  {query}"
        return text


DATABASE_COUNTS = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")
WAL_COUNTS = ("wal_records", "wal_bytes", "wal_write", "wal_sync")


def database_counts(url: str) -> dict[str, float]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(f"SELECT {', '.join(DATABASE_COUNTS)} FROM pg_stat_database WHERE datname = current_database()").fetchone()
        counts = dict(zip(DATABASE_COUNTS, row, strict=True))
        counts.update(zip(WAL_COUNTS, conn.execute(f"SELECT {', '.join(WAL_COUNTS)} FROM pg_stat_wal").fetchone(), strict=True))
    return {name: float(value) for name, value in counts.items()}


def statements(url: str, reset: bool = False) -> list[tuple[int, float, str]]:
    """pg_stat_statements' calls by statement (``--statements``)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if reset:
            conn.execute("SELECT pg_stat_statements_reset()")
            return []
        rows = conn.execute("SELECT calls, total_exec_time, query FROM pg_stat_statements WHERE dbid = "
                            "(SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY calls DESC").fetchall()  # fmt: skip
    return [(calls, ms, " ".join(query.split())[:140]) for calls, ms, query in rows]


def measure(label: str, backend: str, replicas: int, args: argparse.Namespace, texts: list[str]) -> tuple[str, Results, int, Split]:
    import pg_cluster

    options = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track_utility": "on"} if args.statements else {}
    if args.durable:  # as a production server runs: each commit waits for its WAL to reach the disk
        options.update(fsync="on", synchronous_commit="on", full_page_writes="on")
    cluster = pg_cluster.start(options=options) if backend == "postgresql" else None
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="replica-load-") as folder:
        db = cluster.create_database("load") if cluster else str(Path(folder) / "load.db")
        if cluster and args.statements:
            import psycopg

            with psycopg.connect(db, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION pg_stat_statements")
        try:
            started = [start(db, Path(folder), f"replica-{n}") for n in range(replicas)]
            processes = [process for process, _ in started]
            urls = [url for _, url in started]
            warm = run(load(urls, args.sessions, args.warmup, texts, "warm"))
            time.sleep(0.5)  # the warm-up's last writes
            if cluster and args.statements:
                statements(db, reset=True)
            before_db = database_counts(db) if cluster else {}
            before = ([cpu(process.pid) for process in processes], cpu(cluster.process.pid) if cluster else 0.0,
                      os.times(), machine())  # fmt: skip
            results = run(load(urls, args.sessions, args.duration, texts, "load"))
            after = ([cpu(process.pid) for process in processes], cpu(cluster.process.pid) if cluster else 0.0,
                     os.times(), machine())  # fmt: skip
            after_db = database_counts(db) if cluster else {}
            found = statements(db) if cluster and args.statements else []
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(60)
        lost = len(warm.latencies) + len(results.latencies) - logged(db)  # every answered enquiry has its row
        if cluster:
            cluster.stop()
    n = max(1, len(results.latencies) + results.errors)
    mine = (after[2].user + after[2].system - before[2].user - before[2].system) / n
    spent = [(b - a) / n for a, b in zip(before[0], after[0], strict=True)]
    postgres = (after[1] - before[1]) / n
    used, interrupts, stolen, whole = (b - a for a, b in zip(before[3], after[3], strict=True))
    split = Split(spent, postgres, mine, used / n - sum(spent) - postgres - mine, interrupts / n, stolen / n,
                  (used + interrupts + stolen) / whole if whole else 0.0,
                  {name: (after_db[name] - before_db[name]) / n for name in after_db},
                  [(calls / n, ms / n, query) for calls, ms, query in found if calls / n >= 0.01])  # fmt: skip
    print(f"{label}: {results.rate():.0f} req/s, p50 {results.ms(0.5):.0f} ms, p99 {results.ms(0.99):.0f} ms, "
          f"errors {results.errors}, {len(results.latencies)} replies, log rows missing {lost}", flush=True)  # fmt: skip
    print(split.line(), flush=True)
    return label, results, lost, split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=24, help="concurrent sessions [24]")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per setup (at most 300) [20]")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring [3]")
    parser.add_argument("--setups", default="sqlite,pg1,pg2", help="which setups, of sqlite, pg1, pg2 [all three]")
    parser.add_argument("--statements", action="store_true", help="count the statements per request (pg_stat_statements)")
    parser.add_argument("--durable", action="store_true",
                        help="PostgreSQL with fsync and synchronous_commit on, as in production (the throwaway cluster has them off)")
    args = parser.parse_args()
    args.duration = min(args.duration, 300.0)
    singles = yaml.safe_load((ROOT / "tests" / "data" / "dev_set.yaml").read_text(encoding="utf-8"))
    texts = [item["q"] for item in singles if is_enquiry(item["q"])]
    random.Random(7).shuffle(texts)
    setups = {"sqlite": ("SQLite, 1 replica", "sqlite", 1), "pg1": ("PostgreSQL, 1 replica", "postgresql", 1),
              "pg2": ("PostgreSQL, 2 replicas", "postgresql", 2)}  # fmt: skip
    rows = [measure(*setups[name], args, texts) for name in args.setups.split(",")]
    base = next((results.rate() for label, results, _, _ in rows if label.startswith("PostgreSQL, 1")), 0.0)
    print(f"\n{args.sessions} sessions, {args.duration:.0f} s per setup, {os.cpu_count()} cores")
    print("| setup | req/s | p50 ms | p99 ms | errors | log rows missing | vs PostgreSQL ×1 | CPU ms/request (replicas + postgres + load) | ceiling req/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    cores = os.cpu_count() or 1
    for label, results, lost, split in rows:
        ratio = f"{results.rate() / base:.2f}×" if "PostgreSQL" in label and base else ""
        spent = f"{sum(split.replicas) * 1000:.2f} + {split.postgres * 1000:.2f} + {split.generator * 1000:.2f}"
        print(f"| {label} | {results.rate():.0f} | {results.ms(0.5):.0f} | {results.ms(0.99):.0f} | {results.errors} | {lost} "
              f"| {ratio} | {spent} | {cores / split.total:.0f} |")  # fmt: skip
    print(f"\nceiling req/s: what {cores} cores allow at that CPU per request (everything on this machine busy, nobody else)")
    if base:
        for label, _, _, split in rows:
            if label.startswith("PostgreSQL, 2"):
                print(f"PostgreSQL ×2 ceiling: {cores / split.total:.0f} req/s = {cores / split.total / base:.2f}× PostgreSQL ×1; "
                      f"without the load generator's CPU {cores / (split.total - split.generator) / base:.2f}×")  # fmt: skip
    return 1 if any(results.errors or lost for _, results, lost, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
