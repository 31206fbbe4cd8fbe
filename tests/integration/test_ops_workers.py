"""The operations page shows what a newcomer would look for in Flower, which cannot read the embedded SQL broker of
`make run`: the workers alive with their last heartbeat (and no phantom beside them), messages waiting per queue on
either broker, and each task's last outcome."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from celery import Celery

from core import clock, db
from core.operations import operations
from tests.integration.ops_support import environment, heartbeat
from tests.integration.staff_support import create_staff, english_client, log_in, make_app


def _page() -> str:
    client = english_client(make_app())
    log_in(client, create_staff("sara.supervisor", "Sara Supervisor", role="supervisor"))
    return client.get("/staff/operations").get_data(as_text=True)


def _section(page: str, heading: str) -> str:
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def test_only_workers_heard_from_lately_are_listed(pg):
    heartbeat("beat", "beat")
    heartbeat("worker", "worker:celery@live-host")
    heartbeat("worker", "worker:celery@gone-host", age=timedelta(minutes=20))
    shown = _section(_page(), "Beat and workers")
    assert "worker:celery@live-host" in shown and "gone-host" not in shown
    assert "Not heard from for longer: 1." in shown


def test_each_task_s_last_outcome_is_shown_and_failures_stand_out(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        operations.beat_seen(s, "job", "job:letters.render", now, "SUCCESS")
        operations.beat_seen(s, "job", "job:mail.send", now - timedelta(minutes=1), "FAILURE ConnectionRefusedError")
        operations.beat_seen(s, "job", "job:outbox.relay", now, "SUCCESS")  # periodic: listed under its job
    shown = _section(_page(), "Recent tasks")
    assert "letters.render" in shown and "outbox.relay" not in shown
    failed = re.search(r"<tr>\s*<td><code>mail.send</code>.*?</tr>", shown, re.S).group(0)
    assert "Problem" in failed and "Failed (ConnectionRefusedError)" in failed
    assert shown.index("letters.render") < shown.index("mail.send")  # newest first


def test_a_task_s_outcome_is_said_in_the_page_s_language(pg):
    with db.unit_of_work() as s:
        operations.beat_seen(s, "job", "job:letters.render", clock.now(), "SUCCESS")
    client = english_client(make_app())
    log_in(client, create_staff("sara.supervisor", "Sara Supervisor", role="supervisor"))
    page = client.get("/staff/operations?lang=fr").get_data(as_text=True)
    assert "Réussi" in page and "SUCCESS" not in page


@pytest.mark.parametrize("broker", ["sqla+sqlite:///{tmp}/broker.sqlite", "redis://127.0.0.1:6379/15"])
def test_messages_waiting_per_queue_are_counted_on_the_embedded_and_the_redis_broker(pg, monkeypatch, tmp_path,
                                                                                       broker):
    url = broker.format(tmp=tmp_path)
    sender = Celery("probe", broker=url)
    with sender.connection_for_write() as connection:
        connection.default_channel.queue_purge("celery")  # a queue that may not exist yet counts as empty
    for n in range(3):  # nobody consumes this broker: the three stay waiting
        sender.send_task("letters.render", kwargs={"letter_ids": []}, task_id=f"render:waiting-{n}")
    try:
        with environment(monkeypatch, BROKER_URL=url):
            shown = _section(_page(), "Queues")
        assert re.search(r"<td><code>celery</code></td><td>3</td>", shown), shown
    finally:
        with sender.connection_for_write() as connection:
            connection.default_channel.queue_purge("celery")
