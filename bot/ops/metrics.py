"""Prometheus metrics of the running assistant, on a registry of its own (so tests can make fresh ones)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.enquiries = Counter(
            "cbec_enquiries", "Enquiries answered, by reply kind and channel", ["kind", "channel"], registry=self.registry
        )
        self.handling_seconds = Histogram(
            "cbec_handling_seconds",
            "Time to answer one enquiry",
            ["channel"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.log_queue_depth = Gauge("cbec_log_queue_depth", "Database writes waiting in the queue", registry=self.registry)
        self.open_handoffs = Gauge("cbec_open_handoffs", "Hand-off tickets open (not yet answered)", registry=self.registry)
        self.oldest_handoff = Gauge(
            "cbec_oldest_open_handoff_seconds", "How long the oldest open hand-off ticket has waited", registry=self.registry
        )
        self.rate_limited = Counter(
            "cbec_rate_limited", "Web chat messages refused by flood control, by limit (session or client)", ["scope"],
            registry=self.registry,
        )
        self.faq_reloads = Counter("cbec_faq_reloads", "FAQ reloads, by outcome", ["outcome"], registry=self.registry)
        self._counters: dict[tuple[str, str], Counter] = {}
        self._histograms: dict[str, Histogram] = {}

    def observe(self, kind: str, channel: str, seconds: float) -> None:
        # The labelled children, looked up once: labels() validates and locks on every call.
        counter = self._counters.get((kind, channel))
        if counter is None:
            counter = self._counters[(kind, channel)] = self.enquiries.labels(kind=kind, channel=channel)
        histogram = self._histograms.get(channel)
        if histogram is None:
            histogram = self._histograms[channel] = self.handling_seconds.labels(channel=channel)
        counter.inc()
        histogram.observe(seconds)

    def track(
        self, queue_depth: Callable[[], float], open_handoffs: Callable[[], float],
        oldest_handoff: Callable[[], float] = lambda: 0.0,
    ) -> None:  # fmt: skip
        """Read the gauges at scrape time from the live sources."""
        self.log_queue_depth.set_function(queue_depth)
        self.open_handoffs.set_function(open_handoffs)
        self.oldest_handoff.set_function(oldest_handoff)

    def track_log(self, health: Callable[[], dict]) -> None:
        """The enquiry log's write failures, rows not yet in the database and degraded state
        (bot/records/durable.py), read at scrape time."""
        self.registry.register(_LogCollector(health))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _LogCollector:
    def __init__(self, health: Callable[[], dict]) -> None:
        self._health = health

    def collect(self):
        health = self._health()
        failures = CounterMetricFamily(
            "cbec_log_write_failures", "Failed writes of enquiry log rows (kept in memory and retried), by target", labels=["target"]
        )
        failures.add_metric(["spool"], health["spool_failures"])
        failures.add_metric(["database"], health["database_failures"])
        yield failures
        yield CounterMetricFamily(
            "cbec_log_replies_before_durable", "Replies sent before their log rows were in the spool or the database",
            value=health.get("late_replies", 0),
        )
        yield GaugeMetricFamily("cbec_log_unwritten_rows", "Enquiry log rows not yet in the database", value=health["unwritten"])
        yield GaugeMetricFamily("cbec_log_degraded", "1 while log writes fail or wait for a lock (see /healthz)",
                                value=1 if health["problems"] else 0)  # fmt: skip


class MeteredRecorder:
    """Wraps the enquiry log so every channel's enquiries are also counted and timed."""

    def __init__(self, recorder, metrics: Metrics) -> None:
        self._recorder, self._metrics = recorder, metrics

    def enquiry(self, *, channel: str, user_id: str, region, text: str, reply, latency_ms: float):
        self._metrics.observe(getattr(reply, "kind", "unknown"), channel, latency_ms / 1000)
        return self._recorder.enquiry(channel=channel, user_id=user_id, region=region, text=text, reply=reply,
                                      latency_ms=latency_ms)  # fmt: skip

    def __getattr__(self, name: str):  # feedback, calculation, hand-offs, flush, close: unchanged
        return getattr(self._recorder, name)
