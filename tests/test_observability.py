"""Metrics expose the counters; logs are JSON lines."""

from __future__ import annotations

import io
import json
import logging

from bot.ops.jsonlog import configure_logging
from bot.ops.metrics import Metrics


def test_metrics_count_enquiries_by_kind_and_channel() -> None:
    metrics = Metrics()
    metrics.observe("answer", "web", 0.002)
    metrics.observe("answer", "web", 0.004)
    metrics.observe("fallback", "telegram", 0.001)
    metrics.track(lambda: 7, lambda: 2)
    text = metrics.render().decode()
    assert 'cbec_enquiries_total{channel="web",kind="answer"} 2.0' in text
    assert 'cbec_enquiries_total{channel="telegram",kind="fallback"} 1.0' in text
    assert 'cbec_handling_seconds_count{channel="web"} 2.0' in text
    assert "cbec_log_queue_depth 7.0" in text
    assert "cbec_open_handoffs 2.0" in text


def test_logs_are_one_json_object_per_line() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("INFO", stream)
    try:
        logging.getLogger("cbec.test").info("enquiry answered", extra={"kind": "answer", "latency_ms": 1.5})
        logging.getLogger("cbec.test").debug("not shown")
    finally:
        root.handlers[:], root.level = saved_handlers, saved_level
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["message"] == "enquiry answered" and event["kind"] == "answer" and event["latency_ms"] == 1.5
    assert event["level"] == "INFO" and event["time"].endswith("+00:00")
