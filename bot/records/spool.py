"""An append-only file of log rows queued but not yet written, replayed at the next start.

The enquiry log appends the records it hands to the database writer here (one JSON line each,
appended and synced to the disk before a reply that depends on them is sent, see
bot/records/durable.py), and empties the file once the writer has caught up: at once, or, when it
did so less than ``TIDY_EVERY`` ago, at most that much later (``tidy``; under load an ftruncate
after every commit held up the writer thread, and so the replies waiting for it). If the process dies
with rows still in the queue (killed, power cut), the next process
finds the file and writes them; the writes are idempotent (``INSERT OR IGNORE`` on uuid keys),
so replaying a row that did reach the database is harmless.

Each process has its own file, ``<db>.spool/<pid>-<random>.jsonl``, held with an exclusive
``flock`` for the process's life: a file whose lock can be taken belongs to a process that
is gone and is safe to replay.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

log = logging.getLogger(__name__)
TIDY_EVERY = 1.0  # seconds: the file is emptied at most this often, and rows written stay in it at most this long


def _line(record: Any) -> bytes:
    """One JSON line (orjson: the flusher dumps every row; json is the fallback for what orjson refuses)."""
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{os.getpid()}-{secrets.token_hex(4)}.jsonl"
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._lock = threading.Lock()
        self._pending = 0
        self._size = 0  # bytes of whole lines in the file
        self._clean = True  # False once a write failed: keep the file for the next start
        self._tidied = 0.0  # when the file was last emptied (time.monotonic)
        self._held: dict[Path, IO[str]] = {}

    # -- this process's rows --------------------------------------------------------------
    def append(self, record: Any) -> None:
        self.append_many([record])

    def append_many(self, records: list[Any], sync: bool = False) -> None:
        """Append records, one JSON line each, in one unbuffered write (in the OS once this returns;
        on the disk too with ``sync``). A write that fails (disk full) raises OSError and leaves
        the file as it was: a line cut short would also spoil the line appended after it."""
        data = b"".join(_line(record) for record in records)
        with self._lock:
            if self._fd is None:
                raise OSError("the spool is closed")
            try:
                written = os.write(self._fd, data)
                if written != len(data):
                    raise OSError(28, "No space left on device (short write)")
                if sync:
                    os.fdatasync(self._fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._size)
                raise
            self._size += len(data)
            self._pending += len(records)

    def written(self, count: int = 1, ok: bool = True) -> bool:
        """``count`` appended records reached the database (or failed for good when ``ok`` is False).
        True when the file now holds only rows the database has and was emptied too recently to
        empty it again now: ``tidy()`` is then due within ``TIDY_EVERY`` seconds."""
        with self._lock:
            self._pending -= count
            self._clean = self._clean and ok
            if not self._stale_locked():
                return False
            if time.monotonic() - self._tidied >= TIDY_EVERY:
                self._empty_locked()
                return False
            return True

    def tidy(self) -> None:
        """Empty the file if it holds only rows the database has (replaying them would be harmless,
        but a row kept long could bring back what retention erased since)."""
        with self._lock:
            if self._stale_locked():
                self._empty_locked()

    def _stale_locked(self) -> bool:
        return self._pending == 0 and self._clean and self._fd is not None and self._size > 0

    def _empty_locked(self) -> None:
        os.ftruncate(self._fd, 0)
        self._size = 0
        self._tidied = time.monotonic()

    @property
    def pending(self) -> int:
        return self._pending

    def close(self) -> None:
        """Remove the file when every row reached the database; otherwise leave it for replay."""
        with self._lock:
            if self._fd is None:
                return
            if self._pending == 0 and self._clean:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)  # releases the lock
            self._fd = None

    # -- rows left by processes that are gone ------------------------------------------------
    def orphans(self) -> Iterator[tuple[Path, list[Any]]]:
        """Yield (file, records) for each spool file whose owner has gone; the file stays locked
        by us until ``release`` is called with it."""
        for path in sorted(self.directory.glob("*.jsonl")):
            if path == self.path:
                continue
            try:
                handle = open(path, encoding="utf-8")  # noqa: SIM115 - kept until release()
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its process is alive
                handle.close()
                continue
            records = []
            for line in handle:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut short by a crash
                    log.warning("skipping a damaged spool line", extra={"spool": str(path)})
            self._held[path] = handle
            yield path, records

    def release(self, path: Path, replayed: bool) -> None:
        handle = self._held.pop(path)
        if replayed:
            path.unlink(missing_ok=True)
        handle.close()
