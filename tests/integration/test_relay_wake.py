"""A commit that queued work wakes the outbox relay (core.outbox, core.relay_wake), through the web's own broker
client: under load many commits share a few broker messages, so publishing does not eat the web worker's CPU
(each send costs about a millisecond there); a commit that queued nothing, or was rolled back, sends nothing.
Real Redis broker, no mocks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from celery import signals

from core import clock, config, db, outbox, relay_wake
from web.broker import relay_sender


@pytest.fixture
def relay_messages(pg) -> Iterator[list[float]]:
    """When each "run the relay" message was published, with the web's sender wired in as create_app does."""
    sent: list[float] = []

    def note(sender: str | None = None, **_kwargs: object) -> None:
        if sender == "outbox.relay":
            sent.append(time.monotonic())

    relay_wake.use(relay_sender(config.get().broker_url))
    # An earlier test's commit may have left a wake-up pending in this process's sender thread: let it go out
    # before counting, or it is counted as this test's.
    threading.Event().wait(relay_wake.MIN_INTERVAL_S * 3)
    signals.before_task_publish.connect(note, weak=False)
    try:
        yield sent
    finally:
        signals.before_task_publish.disconnect(note)


def _settled(sent: list[float], at_least: int) -> None:
    """Wait for the wake-up thread (it sends at most every MIN_INTERVAL_S) to have published, then a bit more."""
    deadline = time.monotonic() + 10
    while len(sent) < at_least and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    threading.Event().wait(relay_wake.MIN_INTERVAL_S * 3)


def _commit(work: Callable[[object], None], fail: bool = False) -> None:
    try:
        with db.unit_of_work() as s:
            work(s)
            if fail:
                raise RuntimeError("rolled back")
    except RuntimeError:
        pass


def test_a_commit_that_queued_work_wakes_the_relay_and_one_that_did_not_does_not(relay_messages):
    _commit(lambda s: None)
    _commit(lambda s: outbox.add(s, "mail.send", {"to": "a@example.ch"}, key="wake:rolled-back", now=clock.now()),
            fail=True)
    _settled(relay_messages, 0)
    assert relay_messages == [], "nothing was queued: no message to the broker"

    _commit(lambda s: outbox.add(s, "mail.send", {"to": "a@example.ch"}, key="wake:committed", now=clock.now()))
    _settled(relay_messages, 1)
    assert len(relay_messages) == 1


def test_a_stream_of_intake_commits_shares_a_few_relay_messages(relay_messages):
    end = time.monotonic() + 1.0
    pause = threading.Event()
    while time.monotonic() < end:  # a wake-up every millisecond, as under the intake benchmark
        relay_wake.soon()
        pause.wait(0.001)
    _settled(relay_messages, 1)
    assert relay_messages, "no relay message reached the broker"
    # about 1000 wake-ups: at most one message per MIN_INTERVAL_S (plus the one that went out at once)
    assert len(relay_messages) <= 1.3 / relay_wake.MIN_INTERVAL_S + 2
