"""The one writer thread both backends share, after datasette's ``Database``: every write is a
named ``WriteTask`` on a queue, run in order on the thread that owns the write connection; a
``_SHUTDOWN`` sentinel drains the queue on close; a write after close raises the named
``DatabaseClosedError``; ``close()`` says so when the writer does not stop.

A backend subclasses ``QueuedWriter`` and supplies ``_attempt(fn)`` (one transaction, retried
as the engine needs) and ``_close_connections()``; one with group commit sets ``write_batch`` and
supplies ``_write_batch(tasks)`` instead of ``_attempt``."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, Self, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class DatabaseClosedError(RuntimeError):
    """A write was queued after ``close()``: nothing would ever run it."""

    def __init__(self, label: str) -> None:
        super().__init__(f"database is closed: {label}")


class WriteTask(Generic[T]):
    """A write function and the future its caller holds."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.future: Future[T] = Future()


BUSY_WRITER = 0.005  # a writer that wrote this recently is busy (see gather)
_SHUTDOWN = object()  # put on the queue by close(): the writer stops once it gets there


class QueuedWriter:
    """The queue, the writer thread and the lifecycle; the engine's part is ``_attempt``."""

    label: str
    write_batch = 1  # writes at most taken off the queue together
    gather = 0.0  # seconds a busy writer waits for more writes before a group commit (write_batch > 1)

    def _start_writer(self) -> None:
        self._queue: queue.Queue[WriteTask[Any] | object] = queue.Queue()
        self._closed = False
        self._busy_since: float | None = None  # when the write under way began
        self._writer = threading.Thread(target=self._run, name="cbec-db-writer", daemon=True)
        self._writer.start()

    # -- the engine's part ------------------------------------------------------------------
    def _attempt(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn`` in one transaction on the write connection (retrying what may be retried)."""
        raise NotImplementedError

    def _close_connections(self) -> None:
        raise NotImplementedError

    # -- writes -----------------------------------------------------------------------------
    def execute_write_fn(self, fn: Callable[[Any], T]) -> Future[T]:
        """Queue ``fn(handle)`` for the writer thread; the future resolves with its result."""
        if self._closed:
            raise DatabaseClosedError(self.label)
        task = WriteTask(fn)
        self._queue.put(task)
        return task.future

    def write(self, fn: Callable[[Any], Any]) -> None:
        """Fire and forget: the write happens on the writer thread, errors are logged."""
        self.execute_write_fn(fn)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        stopping = False
        ended = 0.0  # when the last batch was written
        while not stopping:
            batch = [self._queue.get()]
            if self.gather and time.monotonic() - ended < BUSY_WRITER:
                # Under load, let a few more writes come: one transaction for several replies
                # writes their shared pages to the WAL once (and invalidates the readers' page
                # caches once). A quiet writer commits at once.
                time.sleep(self.gather)
            # what else is queued already goes along (a backend with group commit, write_batch > 1,
            # runs it in one transaction)
            while len(batch) < self.write_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _SHUTDOWN in batch:
                stopping = True
                batch = batch[: batch.index(_SHUTDOWN)]
            self._write_batch([task for task in batch if isinstance(task, WriteTask)])
            ended = time.monotonic()

    def _write_batch(self, batch: list[WriteTask[Any]]) -> None:
        """Each write in a transaction of its own (``_attempt``)."""
        self._write_each(batch, self._attempt)

    def _write_each(self, batch: list[WriteTask[Any]], attempt: Callable[[Callable[[Any], Any]], Any]) -> None:
        """Run each write with ``attempt`` (a transaction of its own), its result or error to its future."""
        for task in batch:
            self._busy_since = time.monotonic()
            try:
                result = attempt(task.fn)
            except BaseException as error:  # noqa: BLE001 - reported through the future
                self._busy_since = None
                log.exception("database write failed")
                task.future.set_exception(error)
            else:
                self._busy_since = None
                task.future.set_result(result)

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every write queued so far has been applied."""
        self.execute_write_fn(lambda handle: None).result(timeout)

    def close(self, timeout: float = 60.0) -> None:
        """Drain the queue, stop the writer thread, close every connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_SHUTDOWN)
        self._writer.join(timeout)
        if self._writer.is_alive():
            log.error("the database writer did not stop within %s s", timeout)
        self._close_connections()
