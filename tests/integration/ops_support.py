"""Helpers for the operations tests: switching the app to a server that does not answer, heartbeats, metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import clock, config, db, observability
from core.operations import operations

NOWHERE_PORT = 1  # nothing listens on port 1 of this machine: connections are refused at once


@contextmanager
def environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> Iterator[None]:
    """Settings and engine as if the process had started with these variables; restored afterwards."""
    with monkeypatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        config.reset()
        db.dispose()
        try:
            yield
        finally:
            db.dispose()
    config.reset()
    db.dispose()


def heartbeat(kind: str, name: str, age: timedelta = timedelta(seconds=5)) -> None:
    with db.unit_of_work() as session:
        operations.beat_seen(session, kind, name, clock.now() - age, "test")


def everything_alive() -> None:
    heartbeat("beat", "beat")
    heartbeat("worker", "worker:test-host")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: (name, sorted labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """The JSON lines this process writes while the block runs, as the web and the worker write them."""
    observability.configure_logging()
    stream = io.StringIO()
    handler = observability.json_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def at(days_ago: float) -> datetime:
    return clock.now() - timedelta(days=days_ago)
