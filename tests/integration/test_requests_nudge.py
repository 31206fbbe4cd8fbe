"""Intake under load: commits wake the relay through few broker messages, so publishing does not eat the web
worker's CPU (each send costs about a millisecond there). Real Redis broker, no mocks."""

from __future__ import annotations

import threading
import time

from celery import signals

from worker import nudge


def _relay_nudges_during(seconds: float) -> list[float]:
    sent: list[float] = []

    def note(sender: str | None = None, **_kwargs: object) -> None:
        if sender == "outbox.relay":
            sent.append(time.monotonic())

    signals.before_task_publish.connect(note, weak=False)
    try:
        end = time.monotonic() + seconds
        pause = threading.Event()
        while time.monotonic() < end:  # a commit every millisecond, as under the intake benchmark
            nudge.relay_soon()
            pause.wait(0.001)
        deadline = time.monotonic() + 10
        while not sent and time.monotonic() < deadline:
            pause.wait(0.01)
    finally:
        signals.before_task_publish.disconnect(note)
    return sent


def test_a_stream_of_intake_commits_shares_a_few_relay_messages(pg):
    sent = _relay_nudges_during(1.0)
    assert sent, "no relay nudge reached the broker"
    # about 1000 commits: at most one message per MIN_INTERVAL_S (plus the one that went out at once)
    assert len(sent) <= 1.0 / nudge.MIN_INTERVAL_S + 2
