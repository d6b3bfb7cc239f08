"""Web chat throughput on SQLite, on PostgreSQL with one replica, and with two (issue 17).

    .venv/bin/python benchmarks/replica_load.py [--sessions 24] [--duration 20] [--warmup 3] [--visit 8]

Starts everything on 127.0.0.1 and stops it at the end: a throwaway PostgreSQL server
(tests/pg_cluster.py: Debian's binaries, a temporary folder, a free port) and `cbec-bot serve`
processes (this checkout's code). Each of ``--sessions`` concurrent clients sends dev-set enquiries
(tests/data/dev_set.yaml) to POST /api/chat, the next one as soon as the reply arrives (closed
loop), as a stream of visitors: a visitor's session sends ``--visit`` messages and the next visitor
opens a new session (a company asks a few questions and goes). The sessions' flood limit is the
default one (20 a minute; a visitor sends far fewer), only the per-address limit is lifted (every
client here is 127.0.0.1). ``--visit 0`` is one session per client for the whole run, with the
flood limit lifted: a robot sending a thousand messages a minute, whose rate window in the database
holds a thousand times (the load this benchmark first measured). With two replicas each message
goes to the next replica in turn, as a load balancer without sticky sessions would, so every
session's context alternates between them. Prints req/s, p50 and p99 latency, errors, and the enquiries logged
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
import contextlib
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
LOAD_ENV = {"CBEC_WEB_CLIENT_LIMIT": "0", "CBEC_LOG_LEVEL": "WARNING",
            "CBEC_SECRET": "replica-load-benchmark-secret-of-32-bytes-or-more"}  # fmt: skip
ROBOT_ENV = {"CBEC_FLOOD_LIMIT": "1000000"}  # --visit 0: one session sends everything


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


class CpuBudget:
    """``--replica-cpus``: a replica's CPU capped as a container's limit (compose ``cpus:``) or a host
    of its own would cap it, with a cgroup of its own and a CFS quota (cgroup v1's cpu controller or
    v2's cpu.max; needs root). On a machine with fewer cores than the replicas and the database
    together, adding a replica otherwise takes CPU from the other and from PostgreSQL."""

    PERIOD_US = 20_000  # short periods: a replica over its quota waits at most the rest of 20 ms

    def __init__(self, name: str, cores: float) -> None:
        v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
        quota = max(1000, int(cores * self.PERIOD_US))
        try:
            if (v1 / "cpu.cfs_quota_us").exists():
                self.folder = v1 / f"cbec-{name}-{os.getpid()}"
                self.folder.mkdir()
                (self.folder / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                (self.folder / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                self.folder = v2 / f"cbec-{name}-{os.getpid()}"
                self.folder.mkdir()
                (self.folder / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        except OSError as error:
            raise SystemExit(f"--replica-cpus needs a writable cgroup cpu controller (root): {error}") from None

    def join(self) -> None:
        """In the child before exec: the replica and every thread it starts count against the quota."""
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.folder.rmdir()


def start(db: str, folder: Path, name: str, extra: dict[str, str], budget: CpuBudget | None = None) -> tuple[subprocess.Popen, str]:
    from pg_cluster import free_port

    port, workdir = free_port(), folder / name
    workdir.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CBEC_")}
    env.update(LOAD_ENV, **extra, CBEC_DB=db, CBEC_SPOOL_DIR=str(folder / "spool"), PYTHONPATH=str(ROOT))
    with (workdir / "serve.log").open("wb") as sink:
        process = subprocess.Popen([*SERVE, "--port", str(port)], env=env, cwd=workdir, stdout=sink, stderr=subprocess.STDOUT,
                                   preexec_fn=budget.join if budget else None)  # fmt: skip
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


async def load(urls: list[str], sessions: int, seconds: float, texts: list[str], tag: str, visit: int) -> Results:
    import orjson

    results = Results()
    deadline = time.monotonic() + seconds
    encoded = [orjson.dumps(text) for text in texts]  # the JSON of each text, built once

    async def session(n: int) -> None:
        clients = [Connection(urlparse(url).hostname, urlparse(url).port) for url in urls]  # one connection to each replica
        sent = 0
        while time.monotonic() < deadline:
            if not visit or sent % visit == 0:  # a new visitor, a new session
                prefix = b'{"session":"%s-%04d-%d","text":' % (tag.encode(), n, sent // visit if visit else 0)
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


def measure(label: str, backend: str, replicas: int, sessions: int, args: argparse.Namespace,
            texts: list[str]) -> tuple[str, int, Results, int, Split]:  # fmt: skip
    import pg_cluster

    options = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track_utility": "on"} if args.statements else {}
    if args.durable:  # as a production server runs: each commit waits for its WAL to reach the disk
        options.update(fsync="on", synchronous_commit="on", full_page_writes="on")
    cluster = pg_cluster.start(options=options) if backend == "postgresql" else None
    processes: list[subprocess.Popen] = []
    budgets: list[CpuBudget | None] = []
    with tempfile.TemporaryDirectory(prefix="replica-load-") as folder:
        db = cluster.create_database("load") if cluster else str(Path(folder) / "load.db")
        if cluster and args.statements:
            import psycopg

            with psycopg.connect(db, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION pg_stat_statements")
        try:
            extra = {} if args.visit else ROBOT_ENV
            budgets = [CpuBudget(f"replica-{n}", args.replica_cpus) if args.replica_cpus else None for n in range(replicas)]
            started = [start(db, Path(folder), f"replica-{n}", extra, budget) for n, budget in enumerate(budgets)]
            processes = [process for process, _ in started]
            urls = [url for _, url in started]
            warm = run(load(urls, sessions, args.warmup, texts, "warm", args.visit))
            time.sleep(0.5)  # the warm-up's last writes
            if cluster and args.statements:
                statements(db, reset=True)
            before_db = database_counts(db) if cluster else {}
            before = ([cpu(process.pid) for process in processes], cpu(cluster.process.pid) if cluster else 0.0,
                      os.times(), machine())  # fmt: skip
            results = run(load(urls, sessions, args.duration, texts, "load", args.visit))
            after = ([cpu(process.pid) for process in processes], cpu(cluster.process.pid) if cluster else 0.0,
                     os.times(), machine())  # fmt: skip
            after_db = database_counts(db) if cluster else {}
            found = statements(db) if cluster and args.statements else []
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(60)
            for budget in budgets:
                if budget:
                    budget.remove()
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
    print(f"{label}, {sessions} clients: {results.rate():.0f} req/s, p50 {results.ms(0.5):.0f} ms, p99 {results.ms(0.99):.0f} ms, "
          f"errors {results.errors}, {len(results.latencies)} replies, log rows missing {lost}", flush=True)  # fmt: skip
    print(split.line(), flush=True)
    return label, sessions, results, lost, split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="24",
                        help="concurrent clients, or several separated by commas: each setup is measured at each, "
                             "and the ratio is taken between the setups' best [24]")  # fmt: skip
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per setup (at most 300) [20]")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring [3]")
    parser.add_argument("--visit", type=int, default=8,
                        help="messages a visitor sends before the next opens a new session; 0: one session per client, flood limit lifted [8]")
    parser.add_argument("--replica-cpus", type=float, default=0.0,
                        help="cap each replica at this many cores (a cgroup CPU quota, as a container limit; needs root) [no cap]")
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
    counts = [int(n) for n in args.sessions.split(",")]
    rows = [measure(*setups[name], n, args, texts) for name in args.setups.split(",") for n in counts]
    best = {label: max(results.rate() for label_, _, results, _, _ in rows if label_ == label) for label, *_ in rows}
    base = best.get("PostgreSQL, 1 replica", 0.0)
    visits = f"a new session every {args.visit} messages" if args.visit else "one session per client (flood limit lifted)"
    capped = f", each replica capped at {args.replica_cpus:g} cores" if args.replica_cpus else ""
    print(f"\n{visits}, {args.duration:.0f} s per setup, {os.cpu_count()} cores{capped}")
    print("| setup | clients | req/s | p50 ms | p99 ms | errors | log rows missing | vs PostgreSQL ×1 (best) "
          "| CPU ms/request (replicas + postgres + load) | machine busy | ceiling req/s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cores = os.cpu_count() or 1
    for label, sessions, results, lost, split in rows:
        ratio = f"{results.rate() / base:.2f}×" if "PostgreSQL" in label and base else ""
        spent = f"{sum(split.replicas) * 1000:.2f} + {split.postgres * 1000:.2f} + {split.generator * 1000:.2f}"
        print(f"| {label} | {sessions} | {results.rate():.0f} | {results.ms(0.5):.0f} | {results.ms(0.99):.0f} | {results.errors} "
              f"| {lost} | {ratio} | {spent} | {split.busy:.0%} | {cores / split.total:.0f} |")  # fmt: skip
    print(f"\nceiling req/s: what {cores} cores allow at that CPU per request (everything on this machine busy, nobody else)")
    if base and "PostgreSQL, 2 replicas" in best:
        print(f"best of each: PostgreSQL ×2 {best['PostgreSQL, 2 replicas']:.0f} req/s against ×1 {base:.0f} req/s "
              f"= {best['PostgreSQL, 2 replicas'] / base:.2f}×")  # fmt: skip
    return 1 if any(results.errors or lost for _, _, results, lost, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
