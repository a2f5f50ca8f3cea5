"""Prometheus metrics at ``/metrics``: requests, latency, refusals, violations by code.

One process: the metrics live in the app's own registry. ``--workers N``: every worker writes
its numbers into the folder named by ``PROMETHEUS_MULTIPROC_DIR`` (set by ``serve`` before the
workers start) and ``/metrics``, whichever worker answers, adds up all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

from mediarules.models import Report

__all__ = ["CONTENT_TYPE", "MULTIPROCESS_VARIABLE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_VARIABLE))
        # Several worker processes: the metrics are read back from their files, not a registry.
        self.registry = None if self.multiprocess else CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "mediarules_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "mediarules_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.refused = Counter(
            "mediarules_requests_refused",
            "Requests refused by a limit: busy, timeout, body-too-large, too-many-files,"
            " unauthorized.",
            ["reason"],
            registry=registry,
        )
        self.violations = Counter(
            "mediarules_violations",
            "Violations in the reports the service returned, by code, platform and severity.",
            ["code", "platform", "severity"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "mediarules_requests_in_flight",
            "Requests being worked on now.",
            registry=registry,
            multiprocess_mode="livesum",
        )

    def count_report(self, report: Report) -> None:
        for violation in report.violations:
            self.violations.labels(
                violation.code, violation.platform, violation.severity.value
            ).inc()

    def exposition(self) -> bytes:
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    def process_ended(self) -> None:
        """At shutdown: this worker's live gauge no longer counts."""
        if self.multiprocess:
            prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
