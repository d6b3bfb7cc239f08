"""``cbec-bot ask --jsonl``: one enquiry per input line, one JSON object per output line.

A line is a plain enquiry (read on its own, no context), or a JSON object
``{"session": "...", "text": "...", "region": "..."}`` (``q`` is accepted for ``text``; region
and session optional): lines of one session are read in that session's context, in their
order, exactly as the chat reads a conversation.

Order is kept and every line is written (and flushed) as soon as its reply and all earlier ones
are ready, so a caller may send a line and wait for its answer. On a machine with more than one
core the replies are computed by worker processes forked after the index is built (they share
it copy-on-write, no second build). Each worker is a pool of one process, so the lines it is
given are answered in the order they were given: every line of a session goes to the same
worker (by a hash of the session), which keeps that session's context; plain lines go to the
worker with the least work waiting.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator

# the responder the forked workers answer with (set before the fork, inherited by the children)
_responder = None
# each process's sessions: session id -> Context, the least recently used dropped past the limit
_sessions: OrderedDict = OrderedDict()
SESSIONS = 100_000


def parse_line(line: str, region: str | None) -> tuple[str, str | None, str | None]:
    """The enquiry, its region and its session: a plain line, or a JSON object."""
    text = line.rstrip("\r\n")
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            enquiry = data.get("text", data.get("q"))
            if isinstance(enquiry, str):
                session = data.get("session")
                session = str(session) if isinstance(session, str | int) and str(session) else None
                line_region = data.get("region")
                return enquiry, line_region if isinstance(line_region, str) and line_region else region, session
    return text, region, None


def answer_json(responder, line: str, region: str | None, sessions: OrderedDict | None = None) -> str:
    """One output line; a failure on one enquiry gives a polite fallback, never a traceback."""
    sessions = _sessions if sessions is None else sessions
    text, line_region, session = parse_line(line, region)
    try:
        if session is None:
            payload = responder.respond(text, region=line_region).as_json()
        else:
            reply, context = responder.respond_in_context(text, sessions.pop(session, None), region=line_region)
            if context is not None:
                sessions[session] = context
                if len(sessions) > SESSIONS:
                    sessions.popitem(last=False)
            payload = reply.as_json()
    except Exception as error:  # noqa: BLE001 - one bad line must not stop the batch
        payload = {
            "kind": "fallback", "intent": None, "confidence": 0.0, "sources": [], "suggestions": [],
            "answer": f"抱歉,处理这条问题时出了问题,请换个说法或回复“转人工”。({type(error).__name__})",
        }  # fmt: skip
    return json.dumps(payload, ensure_ascii=False)


def _answer_batch(task: tuple[list[tuple[int, str]], str | None]) -> list[tuple[int, str]]:
    numbered, region = task
    return [(number, answer_json(_responder, line, region)) for number, line in numbered]


def default_workers() -> int:
    """One worker per core (at most 4); 1 where fork is not available."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(4, os.cpu_count() or 1))


_END = object()
BATCH = 64  # lines per task at most: bulk input travels in few messages, a lone line alone


def answer_lines(responder, lines: Iterable[str], region: str | None, workers: int | None = None) -> Iterator[str]:
    """The output lines for ``lines``, in order."""
    workers = default_workers() if workers is None else workers
    if workers <= 1:
        sessions: OrderedDict = OrderedDict()
        for line in lines:
            yield answer_json(responder, line, region, sessions)
        return
    global _responder
    _responder = responder
    # the workers are forked before the reader thread starts: a child forked while that thread
    # blocks in stdin's read would inherit the stdin lock held, and hang closing its stdin
    pools = [multiprocessing.get_context("fork").Pool(1) for _ in range(workers)]
    try:
        yield from _dispatch(pools, lines, region)
    finally:
        for pool in pools:
            pool.terminate()
            pool.join()


def _worker_of(line: str, load: list[int]) -> int:
    """The worker for a line: its session's, or the one with the least work waiting."""
    if line.startswith("{"):
        session = parse_line(line, None)[2]
        if session is not None:
            return zlib.crc32(session.encode("utf-8")) % len(load)
    return min(range(len(load)), key=load.__getitem__)


def _dispatch(pools: list, lines: Iterable[str], region: str | None) -> Iterator[str]:
    # A reader thread queues the input; whatever has arrived goes out at once, one task per worker
    # (up to BATCH lines each), so a caller sending one line and waiting gets its reply at once,
    # and a file of thousands of lines costs a few hundred messages instead of one per line.
    arrived: queue.Queue = queue.Queue(maxsize=BATCH * len(pools) * 4)

    def read() -> None:
        try:
            for line in lines:
                arrived.put(line)
        finally:
            arrived.put(_END)

    threading.Thread(target=read, name="jsonl-reader", daemon=True).start()
    load = [0] * len(pools)  # lines given to each worker and not yet answered
    pending: list = []  # (worker, AsyncResult)
    ready: dict[int, str] = {}  # answered lines waiting for an earlier one
    numbered = emitted = 0
    finished = False
    while True:
        if not finished and sum(load) < BATCH * len(pools) * 2:
            tasks: list[list[tuple[int, str]]] = [[] for _ in pools]
            try:
                line = arrived.get(block=not pending)  # wait for input only when idle
            except queue.Empty:
                line = None
            while line is not None and line is not _END:
                worker = _worker_of(line, load)
                tasks[worker].append((numbered, line))
                load[worker] += 1
                numbered += 1
                if sum(len(task) for task in tasks) >= BATCH * len(pools):
                    break
                try:
                    line = arrived.get_nowait()
                except queue.Empty:
                    line = None
            finished = line is _END
            for worker, task in enumerate(tasks):
                if task:
                    pending.append((worker, pools[worker].apply_async(_answer_batch, ((task, region),))))
        if not pending and finished:
            return
        if pending:
            pending[0][1].wait(0.002)  # then look for more input again: a short wait, not a busy loop
        still = []
        for worker, result in pending:
            if result.ready():
                for number, out in result.get():
                    ready[number] = out
                    load[worker] -= 1
            else:
                still.append((worker, result))
        pending = still
        while emitted in ready:
            yield ready.pop(emitted)
            emitted += 1
