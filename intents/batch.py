"""``cbec-bot ask --jsonl``: one enquiry per input line, one JSON object per output line.

Order is kept and every line is written (and flushed) as soon as its reply and all earlier ones
are ready, so a caller may send a line and wait for its answer. On a machine with more than one
core the replies are computed by worker processes forked after the index is built (they share
it copy-on-write, no second build): one process answers ~1,000 distinct enquiries a second here,
two on this 2-core machine ~2,200 (benchmarks/jsonl_throughput.py).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator

# the responder the forked workers answer with (set before the fork, inherited by the children)
_responder = None


def parse_line(line: str, region: str | None) -> tuple[str, str | None]:
    """The enquiry and its region: a plain line, or {"q": "...", "region": "..."}."""
    text = line.rstrip("\r\n")
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("q", data.get("text")), str):
            return data.get("q", data.get("text")), data.get("region") or region
    return text, region


def answer_json(responder, line: str, region: str | None) -> str:
    """One output line; a failure on one enquiry gives a polite fallback, never a traceback."""
    text, line_region = parse_line(line, region)
    try:
        payload = responder.respond(text, region=line_region).as_json()
    except Exception as error:  # noqa: BLE001 - one bad line must not stop the batch
        payload = {
            "kind": "fallback", "intent": None, "confidence": 0.0, "sources": [], "suggestions": [],
            "answer": f"抱歉,处理这条问题时出错了,请换个说法或回复\"转人工\"。({type(error).__name__})",
        }
    return json.dumps(payload, ensure_ascii=False)


def _answer_batch(task: tuple[list[str], str | None]) -> list[str]:
    lines, region = task
    return [answer_json(_responder, line, region) for line in lines]


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
        for line in lines:
            yield answer_json(responder, line, region)
        return
    global _responder
    _responder = responder
    # A reader thread queues the input; whatever has arrived goes out as one task (up to BATCH
    # lines), so a caller sending one line and waiting gets its reply at once, and a file of
    # thousands of lines costs a few hundred messages instead of one per line.
    arrived: queue.Queue = queue.Queue(maxsize=BATCH * workers * 4)

    def read() -> None:
        try:
            for line in lines:
                arrived.put(line)
        finally:
            arrived.put(_END)

    pending: deque = deque()
    finished = False
    # the workers are forked before the reader thread starts: a child forked while that thread
    # blocks in stdin's read would inherit the stdin lock held, and hang closing its stdin
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        threading.Thread(target=read, name="jsonl-reader", daemon=True).start()
        while True:
            while not finished and len(pending) < 2 * workers:
                try:
                    line = arrived.get(block=not pending)  # wait for input only when idle
                except queue.Empty:
                    break
                batch = []
                while line is not _END:
                    batch.append(line)
                    if len(batch) >= BATCH:
                        break
                    try:
                        line = arrived.get_nowait()
                    except queue.Empty:
                        break
                finished = line is _END
                if batch:
                    pending.append(pool.apply_async(_answer_batch, ((batch, region),)))
            if not pending:
                return
            head = pending[0]
            head.wait(0.002)  # then look for more input again: a short wait, not a busy loop
            if head.ready():
                yield from pending.popleft().get()
