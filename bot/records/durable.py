"""Group commit for the enquiry log: a record is *durable* once it is in the spool file and
fsync'd, or committed to the database, whichever comes first; a reply waits for that.

    records ──submit()──▶ pending ──flusher thread──▶ spool (append + fdatasync, one per batch)
                                                   └─▶ database writer (one transaction per batch)

``submit(record)`` only appends to a list and wakes the flusher thread; the flusher takes
everything pending as one batch (records that arrive during one fdatasync form the next batch:
that is the grouping), appends it to the spool, syncs, and hands it to the database's writer
thread as one write. ``durable()`` returns a future that resolves once every record submitted
so far is durable; the web chat and the Telegram bridge await it before a reply goes out, so a
``kill -9`` at any moment cannot lose an enquiry whose reply was sent.

Nothing is dropped on failure. A spool write that fails (disk full: the file is cut back to its
last whole line) leaves the batch to the database; a database write that fails keeps the batch
in memory and tries it again (and the spool again, if it had failed too) with back-off. While
either is failing ``health()`` says so (``/healthz``: ``"status": "degraded"``) and the failure
counters grow (``/metrics``: ``cbec_log_write_failures_total``). A batch that neither the spool
nor the database has taken is the only thing a crash could lose; its reply waits up to
``DURABLE_WAIT`` seconds for it and is then sent all the same (counted as
``cbec_log_replies_before_durable_total``), while the rows stay in memory and are retried.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from bot.records.spool import TIDY_EVERY, Spool
from bot.storage.sqlite import Database
from bot.storage.writer import DatabaseClosedError

log = logging.getLogger(__name__)
DURABLE_WAIT = 10.0  # seconds a reply waits for its rows to be durable before it goes anyway
CLOSE_WAIT = 10.0  # seconds close() waits for the database (a locked one) before leaving rows to the spool
GATHER = 0.002  # seconds a busy flusher lets rows gather before it spools them (one fdatasync for more replies)
BUSY_FLUSHER = 0.005  # a flusher that spooled this recently is busy
RETRY_FIRST, RETRY_MAX = 0.2, 5.0  # back-off between attempts at a failed database write


@dataclass(eq=False)
class Batch:
    records: list[Any]
    first: int  # sequence numbers of its first and last record
    last: int
    spooled: bool = False
    committed: bool = False
    attempts: int = 0
    retry_at: float = 0.0

    @property
    def durable(self) -> bool:
        return self.spooled or self.committed


@dataclass
class Counts:
    """What /metrics counts (monotonic) and /healthz shows."""

    spool_failures: int = 0
    database_failures: int = 0
    late_replies: int = 0  # replies sent before their rows were durable (DURABLE_WAIT passed)
    last_error: dict[str, str] = field(default_factory=dict)  # target -> short error text


class DurableQueue:
    """Records in, durably: see the module docstring. ``apply`` writes a list of records on the
    writer thread (inside its transaction)."""

    def __init__(self, db: Database, spool: Spool, apply: Callable[[Any, list[Any]], Any]) -> None:
        self.db, self.spool, self._apply = db, spool, apply
        self.counts = Counts()
        self._cond = threading.Condition()
        self._pending: list[Any] = []
        self._seq = 0  # sequence number of the last record submitted
        self._unsettled: deque[Batch] = deque()  # taken by the flusher, not yet durable (oldest first)
        self._unwritten: set[Batch] = set()  # taken, not yet committed
        self._retry: list[Batch] = []  # the database refused them: tried again later
        self._waiters: deque[tuple[int, Future[None]]] = deque()
        self._durable = 0  # every record up to this sequence number is durable
        self._spool_failing = False
        self._database_failing = False
        self._stop = False
        self._flushing = 0  # threads waiting in flush(): told when a batch is written
        self._tidy_at: float | None = None  # when the flusher empties the spool of rows the database has
        self._thread = threading.Thread(target=self._run, name="cbec-log-flusher", daemon=True)
        self._thread.start()

    # -- the callers' side -----------------------------------------------------------------
    def submit(self, record: Any) -> None:
        with self._cond:
            self._pending.append(record)
            self._seq += 1
            if len(self._pending) == 1:
                self._cond.notify()
            if self._stop:  # closing: nobody flushes any more, do it here
                self._flush_pending_locked()

    def durable(self) -> Future[None]:
        """Resolves once every record submitted so far is in the spool (synced) or the database."""
        future: Future[None] = Future()
        with self._cond:
            if self._durable >= self._seq:
                future.set_result(None)
            else:
                self._waiters.append((self._seq, future))
        return future

    def late_reply(self) -> None:
        with self._cond:
            self.counts.late_replies += 1

    @property
    def unwritten(self) -> int:
        """Records not yet committed to the database (pending, in flight or waiting to retry)."""
        with self._cond:
            return len(self._pending) + sum(len(batch.records) for batch in self._unwritten)

    def health(self) -> dict[str, Any]:
        problems = []
        with self._cond:
            if self._spool_failing:
                problems.append("spool")
            if self._database_failing:
                problems.append("database")
            counts = self.counts
            errors = dict(counts.last_error)
            unwritten = len(self._pending) + sum(len(batch.records) for batch in self._unwritten)
        busy = getattr(self.db, "busy_for", None)  # the PostgreSQL storage has no single writer to ask
        if busy is not None and busy > 1.0 and "database" not in problems:
            problems.append("database busy")
        return {
            "problems": problems, "unwritten": unwritten, "spool_failures": counts.spool_failures,
            "database_failures": counts.database_failures, "late_replies": counts.late_replies, "errors": errors,
        }  # fmt: skip

    # -- the flusher thread ------------------------------------------------------------------
    def _run(self) -> None:
        ended = 0.0  # when the last batch was handed over
        while True:
            with self._cond:
                while not self._pending and not self._stop and not self._due() and not self._tidy_due():
                    self._cond.wait(self._next_wake_in())
                if self._stop:
                    return
                tidy = self._tidy_due()
                if tidy:
                    self._tidy_at = None
            if tidy:
                self.spool.tidy()
                continue
            if time.monotonic() - ended < BUSY_FLUSHER:  # under load: a few more replies' rows, one fdatasync
                time.sleep(GATHER)
            with self._cond:
                if self._stop:  # close() hands over what is pending
                    return
                batch = self._take_locked()
                retries = self._take_due_locked()
            try:
                for again in retries:
                    self._attempt(again)
                if batch is not None:
                    self._attempt(batch)
            except Exception:  # noqa: BLE001 - the batches stay in the retry list
                log.exception("log flusher failed")
            ended = time.monotonic()

    def _take_locked(self) -> Batch | None:
        if not self._pending:
            return None
        records, self._pending = self._pending, []
        batch = Batch(records, self._seq - len(records) + 1, self._seq)
        self._unsettled.append(batch)
        self._unwritten.add(batch)
        return batch

    def _due(self) -> bool:
        now = time.monotonic()
        return any(batch.retry_at <= now for batch in self._retry)

    def _tidy_due(self) -> bool:
        return self._tidy_at is not None and self._tidy_at <= time.monotonic()

    def _next_wake_in(self) -> float | None:
        """Seconds until a retry or the spool's tidying is due (None: neither is)."""
        times = [batch.retry_at for batch in self._retry]
        if self._tidy_at is not None:
            times.append(self._tidy_at)
        return max(0.0, min(times) - time.monotonic()) if times else None

    def _take_due_locked(self) -> list[Batch]:
        now = time.monotonic()
        due = [batch for batch in self._retry if batch.retry_at <= now]
        self._retry = [batch for batch in self._retry if batch.retry_at > now]
        return due

    def _attempt(self, batch: Batch) -> None:
        """Spool (unless done) and hand to the database writer."""
        if not batch.spooled:
            self._spool(batch)
        batch.attempts += 1
        try:
            future = self.db.execute_write_fn(lambda db: self._apply(db, batch.records))
        except DatabaseClosedError:  # the spool keeps what it has for the next start
            self._failed(batch, "database", "closed", retry=True)
            return
        future.add_done_callback(lambda done: self._written(batch, done))

    def _spool(self, batch: Batch) -> None:
        try:
            self.spool.append_many(batch.records, sync=True)
        except OSError as error:
            self._failed(batch, "spool", error.strerror or type(error).__name__, retry=False)
            return
        with self._cond:
            batch.spooled = True
            self._spool_failing = False
            self._settle_locked()

    def _written(self, batch: Batch, done: Future) -> None:
        """On the writer thread, when the batch's transaction ended."""
        error = done.exception()
        if error is not None:
            self._failed(batch, "database", str(error)[:200] or type(error).__name__, retry=True)
            return
        with self._cond:
            batch.committed = True
            self._unwritten.discard(batch)
            self._database_failing = False
            self._settle_locked()
            if self._flushing:
                self._cond.notify_all()
        if batch.spooled and self.spool.written(len(batch.records)):  # emptied a moment ago: the flusher does it later
            with self._cond:
                if self._tidy_at is None:
                    self._tidy_at = time.monotonic() + TIDY_EVERY
                    self._cond.notify_all()

    def _failed(self, batch: Batch, target: str, error: str, retry: bool) -> None:
        with self._cond:
            if target == "spool":
                self.counts.spool_failures += 1
                self._spool_failing = True
            else:
                self.counts.database_failures += 1
                self._database_failing = True
            self.counts.last_error[target] = error
            if retry:
                batch.retry_at = time.monotonic() + min(RETRY_MAX, RETRY_FIRST * 2 ** min(batch.attempts, 8))
                self._retry.append(batch)
                self._cond.notify_all()
        log.warning("log rows not yet written; kept and tried again", extra={"target": target, "rows": len(batch.records), "error": error})

    def _settle_locked(self) -> None:
        """Move the durable mark past every batch now durable, oldest first; wake their replies."""
        while self._unsettled and self._unsettled[0].durable:
            self._unsettled.popleft()
        if self._unsettled:
            self._durable = self._unsettled[0].first - 1
        else:
            self._durable = self._seq - len(self._pending)
        while self._waiters and self._waiters[0][0] <= self._durable:
            _resolve(self._waiters.popleft()[1])

    # -- shutdown --------------------------------------------------------------------------
    def _flush_pending_locked(self) -> None:
        batch = self._take_locked()
        if batch is not None:
            self._cond.release()
            try:
                self._attempt(batch)
            finally:
                self._cond.acquire()

    def flush(self, timeout: float = 30.0) -> None:
        """Hand over everything recorded so far (and what waits for a retry), then wait until
        the database has it or has refused it (refused rows stay for the next retry). Raises
        TimeoutError after ``timeout`` seconds (the database locked by another process)."""
        with self._cond:
            target = self._seq
            self._flush_pending_locked()
            retries, self._retry = self._retry, []
        for batch in retries:
            self._attempt(batch)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            try:
                while any(batch.first <= target and batch not in self._retry for batch in self._unwritten):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("log rows not yet written")
                    self._cond.wait(left)
            finally:
                self._flushing -= 1

    def close(self, timeout: float = 60.0) -> None:
        """Stop the flusher, write what is pending and wait for the writer (the database being
        locked, at most ``timeout`` seconds). Rows the database did not take stay in the spool file
        for the next start; rows the spool had refused are tried there once more."""
        with self._cond:
            if self._stop:
                return
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout)
        try:
            self.flush(min(timeout, CLOSE_WAIT))  # what the database has not taken by then is in the spool
        except DatabaseClosedError:  # closed already
            pass
        except Exception:  # noqa: BLE001 - what the database did not take is in the spool
            log.warning("the last log rows are not yet in the database; they stay in the spool")
        with self._cond:
            unsafe = [batch for batch in self._unwritten if not batch.durable]
        for batch in unsafe:
            self._spool(batch)
        with self._cond:
            lost = sum(len(batch.records) for batch in self._unwritten if not batch.durable)
            while self._waiters:
                _resolve(self._waiters.popleft()[1])
        if lost:
            log.error("log rows neither spooled nor written at shutdown", extra={"rows": lost})


def _resolve(future: Future[None]) -> None:
    try:
        future.set_result(None)
    except InvalidStateError:  # the reply stopped waiting (cancelled)
        pass


async def until_durable(recorder: Any, future: Future[None] | None) -> None:
    """Await ``future`` (a recorder's ``durable()``), at most ``DURABLE_WAIT`` seconds; a reply
    that waited that long goes out anyway and ``recorder.late_reply()`` counts it."""
    if future is None or future.done():
        return
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), DURABLE_WAIT)
    except TimeoutError:
        late = getattr(recorder, "late_reply", None)
        if late is not None:
            late()
        log.error("a reply went out before its log rows were durable")
