"""Prometheus metrics (prometheus-client).

Counters and histograms are kept by the process that sees the event: HTTP requests in the web app, tasks in the
worker (Celery signals). With PROMETHEUS_MULTIPROC_DIR set (gunicorn, prefork workers, or web and worker sharing
one directory) every process writes its values there and /metrics adds them up; without it, one plain registry.
What lives in the database (outbox, codes, letters, cases, parked tasks, heartbeats) is counted at scrape time, so
it is right whichever process did the work.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from core import db
from core.operations import operations
from core.operations.operations import Figures


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


if multiprocess_dir():  # the directory must exist before the first value is written
    Path(str(multiprocess_dir())).mkdir(parents=True, exist_ok=True)


disable_created_metrics()  # the `_created` series only double what a scrape needs
REGISTRY = CollectorRegistry()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter("backoffice_http_requests", "HTTP requests answered, by route (URL rule) and status.",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("backoffice_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                         ["method", "route"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
TASKS_RUN = Counter("backoffice_tasks_run", "Tasks started by a worker, by name.", ["task"], registry=REGISTRY)
TASKS_FAILED = Counter("backoffice_tasks_failed", "Tasks that failed for good (after their last retry), by name.",
                       ["task"], registry=REGISTRY)
TASKS_RETRIED = Counter("backoffice_tasks_retried", "Task runs that ended in a retry, by name.", ["task"],
                        registry=REGISTRY)
TASK_DURATION = Histogram("backoffice_task_duration_seconds", "Time a task ran, by name.", ["task"],
                          buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 300.0), registry=REGISTRY)


class _ThisProcess:
    """The plain registry's metrics, inside the registry built for one scrape."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _Database:
    """Gauges counted in the database at scrape time; `backoffice_database_up` 0 when it does not answer."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        try:
            with db.unit_of_work() as session:
                figures = operations.figures(session, self.now)
        except Exception:
            yield GaugeMetricFamily("backoffice_database_up", "1 when the database answered this scrape.", value=0)
            return
        yield GaugeMetricFamily("backoffice_database_up", "1 when the database answered this scrape.", value=1)
        yield from _figures(figures)


def _labelled(name: str, documentation: str, label: str, values: dict[str, int] | dict[str, float]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def _figures(figures: Figures) -> Iterator[Metric]:
    yield GaugeMetricFamily("backoffice_outbox_waiting", "Outbox rows not yet published to the broker.",
                            value=figures.outbox_waiting)
    yield GaugeMetricFamily("backoffice_outbox_oldest_waiting_seconds",
                            "Age of the oldest outbox row not yet published (0 when none waits).",
                            value=figures.outbox_oldest_age_s)
    yield _labelled("backoffice_registration_codes",
                    "Registration codes by state: issued (unused, still valid), expired, used, voided.",
                    "state", figures.codes)
    yield _labelled("backoffice_letters", "Code letters by state: pending, rendered, printed, returned, cancelled.",
                    "state", figures.letters)
    yield _labelled("backoffice_cases_open", "Staff cases waiting for a decision, by kind.", "kind",
                    figures.open_cases)
    yield GaugeMetricFamily("backoffice_parked_tasks", "Tasks parked after their last retry, waiting for staff.",
                            value=figures.parked)
    yield _labelled("backoffice_heartbeat_age_seconds", "Seconds since beat, each worker and each periodic job "
                    "last reported.", "name", figures.heartbeat_ages)


def render(now: datetime) -> tuple[bytes, str]:
    """The text a Prometheus scrape receives."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(_Database(now))  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST
