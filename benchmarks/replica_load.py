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

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
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
    import aiohttp

    results = Results()
    deadline = time.monotonic() + seconds

    async def session(client: aiohttp.ClientSession, n: int) -> None:
        sent = 0
        while time.monotonic() < deadline:
            url = urls[(n + sent) % len(urls)]
            text = texts[(n * 37 + sent) % len(texts)]
            sent += 1
            started = time.perf_counter()
            try:
                async with client.post(f"{url}/api/chat", json={"session": f"{tag}-{n:04d}", "text": text}) as response:
                    ok = response.status == 200 and (await response.json()).get("replies")
            except (TimeoutError, aiohttp.ClientError, ValueError):
                ok = False
            if ok:
                results.latencies.append(time.perf_counter() - started)
            else:
                results.errors += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                     connector=aiohttp.TCPConnector(limit=sessions + 4)) as client:  # fmt: skip
        started = time.monotonic()
        await asyncio.gather(*(session(client, n) for n in range(sessions)))
        results.seconds = time.monotonic() - started
    return results


def is_enquiry(text: str) -> bool:
    """Whether the conversation logs ``text`` as an enquiry (bot/conversation/guard.py answers some inputs
    without a row): only those are sent, so every reply must have its row."""
    from bot.conversation import guard
    from bot.conversation.messages import InboundEvent
    from intents.personal import clean

    return not text.startswith("/") and guard.problem(InboundEvent("web", "u", "u", text=clean(text))) is None


def logged(db: str) -> int:
    from bot.storage import open_database

    database = open_database(db)
    try:
        return database.query("SELECT count(*) AS n FROM enquiries WHERE channel = 'web'")[0]["n"]
    finally:
        database.close()


def measure(label: str, backend: str, replicas: int, args: argparse.Namespace, texts: list[str]) -> tuple[str, Results, int]:
    import pg_cluster

    cluster = pg_cluster.start() if backend == "postgresql" else None
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="replica-load-") as folder:
        db = cluster.create_database("load") if cluster else str(Path(folder) / "load.db")
        try:
            started = [start(db, Path(folder), f"replica-{n}") for n in range(replicas)]
            processes = [process for process, _ in started]
            urls = [url for _, url in started]
            warm = asyncio.run(load(urls, args.sessions, args.warmup, texts, "warm"))
            results = asyncio.run(load(urls, args.sessions, args.duration, texts, "load"))
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(60)
        lost = len(warm.latencies) + len(results.latencies) - logged(db)  # every answered enquiry has its row
        if cluster:
            cluster.stop()
    print(f"{label}: {results.rate():.0f} req/s, p50 {results.ms(0.5):.0f} ms, p99 {results.ms(0.99):.0f} ms, "
          f"errors {results.errors}, {len(results.latencies)} replies, log rows missing {lost}", flush=True)  # fmt: skip
    return label, results, lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=24, help="concurrent sessions [24]")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per setup (at most 300) [20]")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring [3]")
    args = parser.parse_args()
    args.duration = min(args.duration, 300.0)
    singles = yaml.safe_load((ROOT / "tests" / "data" / "dev_set.yaml").read_text(encoding="utf-8"))
    texts = [item["q"] for item in singles if is_enquiry(item["q"])]
    random.Random(7).shuffle(texts)
    rows = [measure("SQLite, 1 replica", "sqlite", 1, args, texts),
            measure("PostgreSQL, 1 replica", "postgresql", 1, args, texts),
            measure("PostgreSQL, 2 replicas", "postgresql", 2, args, texts)]  # fmt: skip
    base = rows[1][1].rate()
    print(f"\n{args.sessions} sessions, {args.duration:.0f} s per setup, {os.cpu_count()} cores")
    print("| setup | req/s | p50 ms | p99 ms | errors | log rows missing | vs PostgreSQL ×1 |")
    print("|---|---|---|---|---|---|---|")
    for label, results, lost in rows:
        ratio = f"{results.rate() / base:.2f}×" if "PostgreSQL" in label and base else ""
        print(f"| {label} | {results.rate():.0f} | {results.ms(0.5):.0f} | {results.ms(0.99):.0f} | {results.errors} | {lost} | {ratio} |")
    return 1 if any(results.errors or lost for _, results, lost in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
