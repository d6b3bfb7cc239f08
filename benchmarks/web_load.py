"""Web chat under load: N concurrent sessions hold realistic conversations with POST /api/chat.

    .venv/bin/python benchmarks/web_load.py [--sessions 50] [--duration 20] [--workers N]
                                            [--url http://127.0.0.1:PORT --db PATH] [--max-requests N]

Without ``--url`` it starts the real server, ``cbec-bot serve`` on a free port of 127.0.0.1 with a
fresh SQLite file in a temporary folder (``--db`` to choose the file, ``--workers`` for its uvicorn
worker processes, CBEC_WORKERS), and stops it with SIGTERM at the end. The web chat's flood limits
would refuse most of this traffic (50 sessions from one address at hundreds of requests a second),
so the server started here runs with ``CBEC_WEB_CLIENT_LIMIT=0`` (no per-client limit) and
``CBEC_FLOOD_LIMIT=1000000`` (per session); against your own server (``--url``) set the same, or
the figures count 429s as errors.

Each session is one browser (one session id): it plays dialogues from tests/data/dialogues.yaml
(their follow-ups in order, so the conversation context is exercised) and, between dialogues,
single enquiries from tests/data/dev_set.yaml. Every session sends its next message as soon as the
reply arrives (closed loop), so the rate measured is what the server sustains at that concurrency.

Bounded: only 127.0.0.1, at most ``--duration`` seconds and ``--max-requests`` requests. It prints
requests a second, latency p50/p95/p99/max, errors, and then, from the database after the server
stopped (or after a short wait with ``--url``), how many replies with HTTP 200 have no enquiry row
("lost"): each text answered is looked for by its session's pseudonymous key and its text.
Exit status 1 when anything was lost or any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "web-load-benchmark-secret-of-more-than-32-bytes"
PHONE_EVERY = 25  # one message in 25 carries a phone number
LOAD_ENV = {"CBEC_WEB_CLIENT_LIMIT": "0", "CBEC_FLOOD_LIMIT": "1000000", "CBEC_LOG_LEVEL": "WARNING"}


# -- what the sessions say -------------------------------------------------------------------
@functools.cache
def _texts() -> tuple[tuple[str, ...], ...]:
    data = ROOT / "tests" / "data"
    dialogues = yaml.safe_load((data / "dialogues.yaml").read_text(encoding="utf-8"))
    singles = yaml.safe_load((data / "dev_set.yaml").read_text(encoding="utf-8"))
    return tuple(tuple(turn["q"] for turn in dialogue["turns"]) for dialogue in dialogues) + tuple((item["q"],) for item in singles)


def conversations(seed: int = 7) -> list[list[str]]:
    """Dialogues (several turns each) and single dev-set enquiries, shuffled."""
    out = [list(talk) for talk in _texts()]
    random.Random(seed).shuffle(out)
    return out


# -- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command() -> list[str]:
    """`cbec-bot serve` on this checkout's code."""
    return [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())", "serve"]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    db: Path
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL to the server and its worker processes (its own process group): a crash."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)


def start_server(db: Path, workers: int = 1, env: dict[str, str] | None = None, log: Path | None = None,
                 prefix: list[str] | None = None) -> Server:  # fmt: skip
    """`cbec-bot serve` on a free port of 127.0.0.1 with the load settings, in a process group of
    its own, once /healthz answers. ``prefix`` runs it through another command (e.g. unshare).
    Another program may take the free port first (other servers run on this machine; one of them
    would even answer /healthz): when our process has died, it tries again on another port."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CBEC_")}
    environment.update(LOAD_ENV, CBEC_DB=str(db), CBEC_SECRET=SECRET, CBEC_WORKERS=str(workers),
                       PYTHONPATH=str(ROOT), **(env or {}))  # fmt: skip
    log = log or db.with_suffix(".server.log")
    for attempt in range(3):
        server = _start_once(db, free_port(), environment, log, prefix)
        time.sleep(0.5)
        if server.process.poll() is None:
            return server
        print(f"cbec-bot serve stopped right after starting (attempt {attempt + 1}); trying another port", file=sys.stderr)
    raise RuntimeError(f"cbec-bot serve did not stay up:\n{log.read_text(errors='replace')[-3000:]}")


def _start_once(db: Path, port: int, environment: dict[str, str], log: Path, prefix: list[str] | None) -> Server:
    import urllib.request

    with log.open("ab") as sink:
        process = subprocess.Popen(
            [*(prefix or []), *serve_command(), "--port", str(port)], env=environment, stdout=sink,
            stderr=subprocess.STDOUT, cwd=db.parent, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            return Server(process, url, db, log)  # the caller sees it died
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200 and listens(process.pid, port):  # ours, not another program's
                    return Server(process, url, db, log)
        except OSError:
            pass
        if time.monotonic() > deadline:
            Server(process, url, db, log).kill()
            raise RuntimeError(f"cbec-bot serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def listens(pgid: int, port: int) -> bool:
    """Whether a process of group ``pgid`` holds the socket listening on ``port`` of 127.0.0.1
    (another program given the same free port may answer /healthz while ours fails to bind)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[1].rsplit(":", 1)[1] == f"{port:04X}" and fields[3] == "0A":  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                if int(handle.read().rsplit(")", 1)[1].split()[2]) != pgid:
                    continue
            if any(os.readlink(f"/proc/{entry}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{entry}/fd")):
                return True
        except OSError:
            continue
    return False


# -- the load --------------------------------------------------------------------------------
@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)  # seconds, replies with HTTP 200
    errors: collections.Counter = field(default_factory=collections.Counter)
    answered: list[tuple[str, str]] = field(default_factory=list)  # (session, text) answered with 200
    phones: set[str] = field(default_factory=set)  # phone numbers planted in the texts sent
    started: float = 0.0
    ended: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def rate(self) -> float:
        return len(self.latencies) / max(self.ended - self.started, 1e-9)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection: POST JSON, read the JSON reply. Much leaner than a
    general client (aiohttp cost about 1 ms of CPU a request, on the cores the server needs)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict, timeout: float = 30.0) -> tuple[int, dict]:
        return await asyncio.wait_for(self._post(path, payload), timeout)

    async def _post(self, path: str, payload: dict) -> tuple[int, dict]:
        status, data = await self.post_raw(path, json.dumps(payload, ensure_ascii=False).encode())
        return status, json.loads(data) if data else {}

    async def post_raw(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST a JSON body already encoded, return the status and the reply's bytes (a load
        generator that builds its bodies once: benchmarks/replica_load.py)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n").encode()  # fmt: skip
        try:
            self.writer.write(head + body)
            header = await self.reader.readuntil(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            fields = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)}
            data = await self.reader.readexactly(int(fields.get("content-length", "0")))
            if fields.get("connection", "").lower() == "close":
                self.close()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
            self.close()
            raise ConnectionError("connection lost") from None
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _session(url: str, name: str, talks: list[list[str]], deadline: float, budget: list[int],
                   results: Results, stop: threading.Event) -> None:  # fmt: skip
    parsed = urlparse(url)
    connection = Connection(parsed.hostname or "127.0.0.1", parsed.port or 80)
    index = 0
    try:
        while True:
            for text in talks[index % len(talks)]:
                if time.monotonic() >= deadline or budget[0] <= 0 or stop.is_set():
                    return
                budget[0] -= 1
                sent = len(results.answered) + sum(results.errors.values())
                if sent % PHONE_EVERY == 7:  # some users leave a call-back number: it must never reach a log
                    phone = f"139{sent % 100_000_000:08d}"
                    results.phones.add(phone)
                    text = f"{text}，我的电话{phone}"
                started = time.perf_counter()
                try:
                    status, body = await connection.post("/api/chat", {"session": name, "text": text})
                except (ConnectionError, TimeoutError) as error:
                    connection.close()
                    results.errors[type(error).__name__] += 1
                    if stop.is_set():
                        return
                    await asyncio.sleep(0.05)  # the server is gone or restarting: do not spin
                    continue
                if status == 200 and body.get("replies"):
                    results.latencies.append(time.perf_counter() - started)
                    results.answered.append((name, text))
                else:
                    results.errors[f"HTTP {status}"] += 1
            index += 1
    finally:
        connection.close()


async def _load(url: str, sessions: int, duration: float, max_requests: int, stop: threading.Event, seed: int,
                results: Results) -> Results:  # fmt: skip
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host}: this benchmark only talks to 127.0.0.1")
    talks = conversations(seed)
    budget = [max_requests]
    results.started = time.monotonic()
    deadline = results.started + duration
    per = max(1, len(talks) // sessions)
    await asyncio.gather(*(
        _session(url, f"load-{seed}-{n:04d}", talks[n * per:] + talks[:n * per], deadline, budget, results, stop)
        for n in range(sessions)
    ))  # fmt: skip
    results.ended = time.monotonic()
    return results


def run_load(url: str, sessions: int = 50, duration: float = 20.0, max_requests: int = 1_000_000,
             stop: threading.Event | None = None, seed: int = 7, results: Results | None = None) -> Results:  # fmt: skip
    """Closed-loop load from ``sessions`` concurrent sessions; returns when the time or the request
    budget is spent, or ``stop`` is set. ``results`` (filled as replies arrive) lets another
    thread watch the progress."""
    results = results if results is not None else Results()
    return asyncio.run(_load(url, sessions, duration, max_requests, stop or threading.Event(), seed, results))


class Background:
    """``run_load`` in a thread: start, watch ``results``, ``stop()``."""

    def __init__(self, url: str, sessions: int = 20, duration: float = 60.0, max_requests: int = 1_000_000, seed: int = 7) -> None:
        self.results, self.stop_event = Results(), threading.Event()
        self.thread = threading.Thread(
            target=run_load, args=(url, sessions, duration, max_requests, self.stop_event, seed, self.results), daemon=True
        )
        self.thread.start()

    def wait_for_replies(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.results.answered) < count:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"only {len(self.results.answered)} replies, errors {dict(self.results.errors)}")
            time.sleep(0.02)

    def stop(self) -> Results:
        self.stop_event.set()
        self.thread.join(60)
        return self.results


# -- what the server spent -------------------------------------------------------------------
def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group ``pgid`` (the server and
    its uvicorn workers: it runs in a session of its own), from /proc."""
    return sum(group_cpu_split(pgid))


def group_cpu_split(pgid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of every live process in process group ``pgid``, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (11), stime (12)
            user += int(fields[11]) / tick
            system += int(fields[12]) / tick
    return user, system


# -- what reached the log --------------------------------------------------------------------
def expected_text(text: str) -> str:
    """The text as the log keeps it (invisible characters and personal data out, trimmed)."""
    from bot.conversation.guard import clean as strip_markup
    from bot.records.redact import redact
    from intents.personal import clean

    return redact(strip_markup(clean(text)))


@functools.cache
def is_enquiry(text: str) -> bool:
    """Whether the conversation logs ``text`` as an enquiry (「？？？」 or markup only get a polite
    reply from bot/conversation/guard.py and no row)."""
    from bot.conversation import guard
    from bot.conversation.messages import InboundEvent
    from intents.personal import clean

    return not text.startswith("/") and guard.problem(InboundEvent("web", "u", "u", text=clean(text))) is None


def missing_rows(db: Path, answered: list[tuple[str, str]], secret: str = SECRET) -> int:
    """How many of the answered (session, text) enquiries have no enquiry row."""
    from bot.records.pseudonym import pseudonymise

    wanted = collections.Counter(
        (pseudonymise(secret, "web", session), expected_text(text)) for session, text in answered if is_enquiry(text)
    )
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        logged = collections.Counter(
            (row[0], row[1]) for row in conn.execute("SELECT user_key, text FROM enquiries WHERE channel = 'web'")
        )
    finally:
        conn.close()
    return sum(max(0, count - logged.get(key, 0)) for key, count in wanted.items())


def phones_in(path: Path, phones: set[str]) -> int:
    """How many of the planted phone numbers appear in the file (the server's log)."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return sum(1 for phone in phones if phone in text)


def replay_spool(db: Path) -> None:
    """What the next start of the server does first: write the rows a dead process left in the spool."""
    from bot.records.enquiry_log import EnquiryLog
    from bot.storage.sqlite import Database

    database = Database(db)
    log = EnquiryLog(database, SECRET)
    log.close()
    database.close()


# -- the report ------------------------------------------------------------------------------
def report(results: Results, lost: int | None, label: str = "") -> str:
    ms = lambda q: results.percentile(q) * 1000  # noqa: E731
    errors = ", ".join(f"{name} {count}" for name, count in results.errors.most_common()) or "0"
    lines = [
        f"{label}requests {results.requests}, replies {len(results.latencies)} in {results.ended - results.started:.1f} s: "
        f"{results.rate():.0f} req/s",
        f"latency ms: p50 {ms(0.50):.1f}  p95 {ms(0.95):.1f}  p99 {ms(0.99):.1f}  max {max(results.latencies, default=0) * 1000:.1f}"
        + (f"  mean {statistics.fmean(results.latencies) * 1000:.1f}" if results.latencies else ""),
        f"errors: {errors}",
    ]
    if lost is not None:
        enquiries = sum(1 for _, text in results.answered if is_enquiry(text))
        lines.append(f"log: {enquiries} enquiries answered with HTTP 200, {enquiries - lost} with their row, lost {lost}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50, help="concurrent sessions [50]")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load (at most 300) [20]")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests [200000]")
    parser.add_argument("--workers", type=int, default=None, help="uvicorn worker processes of the server started here [CBEC_WORKERS or 1]")
    parser.add_argument("--url", help="load this server instead of starting one (127.0.0.1 only)")
    parser.add_argument("--db", type=Path, help="its database file (for the lost-rows check); default: a temporary file")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring [3]")
    args = parser.parse_args()
    duration = min(args.duration, 300.0)
    workers = args.workers or int(os.environ.get("CBEC_WORKERS", "1"))

    with tempfile.TemporaryDirectory(prefix="web-load-") as folder:
        server, cpu = None, None
        url, db = args.url, args.db
        if url is None:
            db = db or Path(folder) / "load.db"
            server = start_server(db, workers=workers)
            url = server.url
            print(f"server: cbec-bot serve, {workers} worker(s), {url}, database {db}")
        try:
            if args.warmup > 0:
                run_load(url, args.sessions, args.warmup, args.max_requests, seed=99)
            cpu_before = group_cpu_split(server.process.pid) if server is not None else (0.0, 0.0)
            own_before = os.times()
            results = run_load(url, args.sessions, duration, args.max_requests)
            own = os.times()
            if server is not None:
                user, system = (after - before for after, before in zip(group_cpu_split(server.process.pid), cpu_before, strict=True))
                cpu = user + system
            own_cpu = own.user - own_before.user + own.system - own_before.system
        finally:
            if server is not None:
                code = server.stop()
                if code != 0:
                    print(f"the server ended with status {code}; its log: {server.log}")
        lost = None
        if db is not None:
            if server is None:
                time.sleep(2)  # a running server writes within milliseconds; give it a moment
            lost = missing_rows(db, results.answered)
        print(f"{args.sessions} sessions, {duration:.0f} s")
        print(report(results, lost))
        if cpu is not None and results.latencies:
            print(f"server CPU: {cpu:.1f} s, {cpu * 1000 / len(results.latencies):.2f} ms a reply "
                  f"(all its processes, {system * 1000 / len(results.latencies):.2f} ms of it in the kernel; "
                  f"load average {os.getloadavg()[0]:.2f})")  # fmt: skip
        if results.latencies:
            print(f"load generator CPU: {own_cpu:.1f} s, {own_cpu * 1000 / len(results.latencies):.2f} ms a reply")
        if server is not None:
            size = server.log.stat().st_size if server.log.exists() else 0
            print(f"server log: {size} bytes, {phones_in(server.log, results.phones)} of the {len(results.phones)} "
                  "phone numbers sent appear in it")  # fmt: skip
        leaked = phones_in(server.log, results.phones) if server is not None else 0
        return 1 if (lost or results.errors or leaked) else 0


if __name__ == "__main__":
    sys.exit(main())
