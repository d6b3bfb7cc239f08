"""Structured logs: one JSON object per line on standard error.

Every string that goes out is redacted (``intents.personal.redact``: phone numbers and other
personal data replaced by labels, bidi controls, zero-width characters and lone surrogates
removed) and cut to 2,000 characters, so no user text a library puts in a message or a
traceback reaches the log raw.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from intents.personal import redact

# Attributes every LogRecord has; anything else passed with ``extra=`` goes into the JSON.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps({key: _safe(value, 20_000 if key == "exception" else 2000) for key, value in event.items()}, ensure_ascii=False, default=str)


def _safe(value: object, limit: int = 2000) -> object:
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + f"…(+{len(text) - limit})"
    return redact(text)


def configure_logging(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Access logs and library chatter at INFO would drown the enquiry events.
    for noisy in ("httpx", "aiogram.event", "uvicorn.access", "telegram.ext"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
