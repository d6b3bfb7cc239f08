"""What the enquiry log adds to the time it takes to handle one enquiry.

    .venv/bin/python benchmarks/log_overhead.py [--rounds 7] [--enquiries 400]

Handling one enquiry is the conversation core's ``Conversation.handle(event)`` for the ``web``
channel when bot/conversation/messages.py is there, otherwise ``Responder.respond(text)`` followed by the
recorder call the core makes. It is timed with ``NullRecorder`` (no log) and with
``EnquiryLog`` on a fresh SQLite file (redaction, HMAC, spool line, queue; the writer thread
inserts concurrently). The handling functions alternate enquiry by enquiry, so that other load
on the machine slows both alike. Two ways: enquiries arriving a little apart (``--gap-ms``, 2 ms, i.e.
500 a second, far above the service's load), which is the handling time a user waits for and
what the 10% limit applies to; and back to back without pause, which shows the log's CPU cost
at saturation (the writer thread then competes for the GIL). Rounds alternate between the two
recorders so that drift affects both; the figures are medians over rounds of the mean time per
enquiry. Enquiries: the FAQ's questions, a fifth of them with a phone number or an e-mail.
The run fails (exit 1) when the overhead is 10% or more.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT = 0.10


def enquiries(count: int) -> list[str]:
    from policy_faq.faq import load_faq

    questions = [q for item in load_faq(strict=False).intents for q in item.intent.questions]
    out = []
    for n in range(count):
        text = questions[n % len(questions)]
        if n % 10 == 3:
            text += f" 我的电话1381234{n % 10000:04d}"
        elif n % 10 == 7:
            text += f" 邮箱 user{n}@example.com"
        out.append(text)
    return out


def make_handler(recorder) -> tuple[str, Callable[[int, str], object]]:
    """(what is timed, handle(n, text))."""
    if importlib.util.find_spec("bot.conversation.messages") is not None:
        from bot.conversation.core import Conversation
        from bot.conversation.messages import InboundEvent
        from bot.settings import load_settings

        core = Conversation(settings=load_settings(), db=_STATE_DB, recorder=recorder)

        def handle_event(n: int, text: str) -> object:
            user = f"bench{n % 50}"
            return core.handle(InboundEvent(channel="web", user_id=user, chat_id=user, text=text))

        return "Conversation.handle (bot/conversation/messages.py)", handle_event

    from intents.respond import get_responder

    responder = get_responder()

    def handle_reply(n: int, text: str) -> object:
        started = time.perf_counter()
        reply = responder.respond(text)
        recorder.enquiry(
            channel="web", user_id=f"bench{n % 50}", region=None, text=text, reply=reply,
            latency_ms=(time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return reply

    return "Responder.respond + recorder.enquiry (no bot/conversation/messages.py yet)", handle_reply


_STATE_DB = None


def timed(handle: Callable[[int, str], object], texts: list[str]) -> float:
    """Back to back: mean time per enquiry when enquiries never stop coming (saturation)."""
    started = time.perf_counter()
    for n, text in enumerate(texts):
        handle(n, text)
    return (time.perf_counter() - started) / len(texts)


def paced_pair(
    without_log: Callable[[int, str], object], with_log: Callable[[int, str], object], texts: list[str], gap: float
) -> tuple[float, float]:
    """Mean time to handle one enquiry without and with the log, enquiries ``gap`` seconds apart.
    The two alternate enquiry by enquiry (in both orders), so that whatever else the machine is
    doing slows both alike; the writer thread writes in the pauses, as it does in service."""
    totals = [0.0, 0.0]
    for n, text in enumerate(texts):
        order = ((0, without_log), (1, with_log)) if n % 2 else ((1, with_log), (0, without_log))
        for index, handle in order:
            started = time.perf_counter()
            handle(n, text)
            totals[index] += time.perf_counter() - started
            time.sleep(gap)
    return totals[0] / len(texts), totals[1] / len(texts)


def main() -> int:
    global _STATE_DB
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--enquiries", type=int, default=400)
    parser.add_argument("--gap-ms", type=float, default=2.0, help="time between enquiries in the paced runs")
    args = parser.parse_args()

    from bot.records.enquiry_log import EnquiryLog
    from bot.records.recorder import NullRecorder
    from bot.storage.sqlite import Database

    texts = enquiries(args.enquiries)
    with tempfile.TemporaryDirectory() as tmp:
        _STATE_DB = Database(Path(tmp) / "state.db")  # conversation state, the same in both runs
        log_db = Database(Path(tmp) / "log.db")
        log = EnquiryLog(log_db, "benchmark-secret")
        what, without_log = make_handler(NullRecorder())
        _, with_log = make_handler(log)
        for handle in (without_log, with_log):  # warm up caches and the FAQ
            timed(handle, texts[:50])
        plain, logged, plain_paced, logged_paced = [], [], [], []
        for _ in range(args.rounds):
            base_round, logged_round = paced_pair(without_log, with_log, texts, args.gap_ms / 1000)
            plain_paced.append(base_round)
            logged_paced.append(logged_round)
            plain.append(timed(without_log, texts))
            logged.append(timed(with_log, texts))
        drain_started = time.perf_counter()
        log.flush(timeout=120)
        drain = time.perf_counter() - drain_started
        rows = log_db.query("SELECT count(*) AS n FROM enquiries")[0]["n"]
        recorder_only = timed(
            lambda n, text: log.enquiry(channel="web", user_id="u", region=None, text=text, reply=None, latency_ms=0),
            texts,
        )
        log.close()
        log_db.close()
        _STATE_DB.close()

    base, with_logging = statistics.median(plain_paced), statistics.median(logged_paced)
    overhead = (with_logging - base) / base
    busy_base, busy_logged = statistics.median(plain), statistics.median(logged)
    busy_overhead = (busy_logged - busy_base) / busy_base
    print(f"handling timed: {what}")
    print(f"enquiries per round: {len(texts)}, rounds: {args.rounds}; figures are medians over rounds")
    print(f"handling time, enquiries {args.gap_ms:g} ms apart (service):")
    print(f"  without log: {base * 1e6:8.1f} µs per enquiry")
    print(f"  with log:    {with_logging * 1e6:8.1f} µs per enquiry")
    print(f"  overhead:    {overhead:+.1%} (limit {LIMIT:.0%})")
    print("back to back, no pause (saturation; the writer thread competes for the GIL):")
    print(f"  without log: {busy_base * 1e6:8.1f} µs per enquiry")
    print(f"  with log:    {busy_logged * 1e6:8.1f} µs per enquiry")
    print(f"  overhead:    {busy_overhead:+.1%}")
    print(f"recorder.enquiry alone, back to back: {recorder_only * 1e6:.1f} µs per call")
    print(f"rows written: {rows}; queue drained {drain * 1000:.1f} ms after the last round")
    return 0 if overhead < LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
