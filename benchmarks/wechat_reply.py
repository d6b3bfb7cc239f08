"""Passive reply time of the WeChat endpoint over the dev set, and duplicates under retries.

    .venv/bin/python benchmarks/wechat_reply.py [--safe] [--limit N] [--retried 100]

Runs the real ``cbec-bot serve`` (a subprocess, a fresh SQLite file in a temporary folder)
with WeChat on, its API pointed at the fake WeChat server of the tests (tests/fake_wechat.py,
127.0.0.1). Every dev set enquiry (tests/data/dev_set.yaml) is pushed as WeChat does, signed
(``--safe``: encrypted too), one after another, each from its own user; the time is from the
POST to the whole reply received and checked (signature, decryption, addressee). WeChat waits
5 s for a passive reply.

Then ``--retried`` more enquiries are each pushed four times at once (a push and WeChat's three
retries) and once more after the answer: a duplicate is a copy that got another reply than the
first, an extra customer-service message, or more than one enquiry row per message.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fake_wechat import AES_KEY, APPID, SECRET, TOKEN, FakeWeChat, free_port  # noqa: E402

SECRET_KEY = "benchmark-secret"
CBEC_BOT = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def start_server(workdir: Path, fake: FakeWeChat, safe: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}, "PYTHONPATH": str(ROOT),
           "CBEC_DB": str(workdir / "cbec.db"), "CBEC_SECRET": SECRET_KEY, "CBEC_LOG_LEVEL": "WARNING",
           "CBEC_WECHAT_TOKEN": TOKEN, "CBEC_WECHAT_APPID": APPID, "CBEC_WECHAT_SECRET": SECRET,
           "CBEC_WECHAT_API_URL": fake.url, **({"CBEC_WECHAT_AES_KEY": AES_KEY} if safe else {})}  # fmt: skip
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen([*CBEC_BOT, "serve", "--port", str(port)], cwd=workdir, env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("cbec-bot serve did not start:\n" + (workdir / "serve.log").read_text(errors="replace"))


async def run(args: argparse.Namespace, workdir: Path) -> None:
    from intents.evaluate import load_dev_set

    items = load_dev_set()
    if args.limit:
        items = items[: args.limit]
    fake = await FakeWeChat().start()
    process, base = await asyncio.to_thread(start_server, workdir, fake, args.safe)
    callback = f"{base}/wechat"
    try:
        times, empty = [], 0
        for n, item in enumerate(items):
            pushed = await fake.push(callback, fake.text_xml(f"oBench{n:05d}", item.q), safe=args.safe)
            assert pushed.status == 200, pushed
            times.append(pushed.seconds * 1000)
            empty += pushed.text is None
        late = len(fake.sent)  # answered empty and sent through the API (too slow for a passive reply)

        duplicates, retried = 0, items[: args.retried]
        for n, item in enumerate(retried):
            openid = f"oRetry{n:05d}"
            xml = fake.text_xml(openid, item.q)
            copies = await asyncio.gather(*(fake.push(callback, xml, safe=args.safe) for _ in range(4)))
            copies.append(await fake.push(callback, xml, safe=args.safe))
            duplicates += sum(1 for c in copies[1:] if c.text != copies[0].text)
        await asyncio.sleep(1.0)  # customer-service messages still on their way would show now
        extra_sent = len(fake.sent) - late
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
        await fake.stop()
    from bot.records.pseudonym import pseudonymise

    with sqlite3.connect(workdir / "cbec.db") as db:
        rows = dict(db.execute("SELECT user_key, COUNT(*) FROM enquiries GROUP BY user_key").fetchall())
        claimed = db.execute("SELECT COUNT(*) FROM wechat_replies").fetchone()[0]

    def logged(openid: str) -> int:
        return rows.get(pseudonymise(SECRET_KEY, "wechat", openid), 0)

    # a retried message should have as many rows as the same text sent once (1, or 0 for input
    # that is not an enquiry, e.g. markup): more is a duplicate
    retried_rows = sum(logged(f"oRetry{n:05d}") for n in range(len(retried)))
    extra_rows = sum(max(0, logged(f"oRetry{n:05d}") - logged(f"oBench{n:05d}")) for n in range(len(retried)))

    mode = "safe mode (encrypted)" if args.safe else "plain mode"
    print(f"WeChat passive reply through /wechat of `cbec-bot serve`, {mode}, dev set enquiries one at a time")
    print(f"{'messages':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'> 5 s':>6} {'empty':>6}")
    print(f"{len(times):>8} {statistics.median(times):>8.1f} {percentile(times, 0.95):>8.1f} "
          f"{percentile(times, 0.99):>8.1f} {max(times):>8.1f} {sum(t > 5000 for t in times):>6} {empty:>6}")  # fmt: skip
    print(f"\nretries: {len(retried)} messages × 5 pushes (4 at once, 1 after the answer)")
    print(f"  copies with another reply than the first: {duplicates}")
    print(f"  customer-service messages sent for them: {extra_sent}")
    print(f"  enquiry rows for them: {retried_rows} (as for the same texts sent once: "
          f"{sum(logged(f'oBench{n:05d}') for n in range(len(retried)))}); duplicate rows: {extra_rows}")
    print(f"  wechat_replies rows: {claimed} for {len(items) + len(retried)} messages")
    print("\ntarget: every passive reply within 5 s; 0 duplicate replies or log rows under retries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--safe", action="store_true", help="safe mode: pushes and replies encrypted")
    parser.add_argument("--limit", type=int, default=0, help="only the first N dev set enquiries")
    parser.add_argument("--retried", type=int, default=100, help="enquiries pushed with retries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
