"""R8 in practice: an SMS code a person is waiting for goes to its own queue on the real Redis broker, so a backlog
of letters or requests in the default queue never delays it; a worker without --queues takes both."""

from __future__ import annotations

import json

import redis
from sqlalchemy import select

from core import clock, config, db, outbox
from core.models import OutboxMessage
from core.queues import CODES_QUEUE, DEFAULT_QUEUE


def _tasks(broker: redis.Redis, queue: str) -> list[str]:
    """The task names of the messages waiting in a queue (Celery's protocol 2 puts the name in the headers)."""
    return [json.loads(raw)["headers"]["task"] for raw in broker.lrange(queue, 0, -1)]


def test_r8_an_sms_code_is_published_to_its_own_queue_ahead_of_a_backlog(pg, report):
    report.row("SMS code behind a backlog of 200 letters: own queue").runs = 201
    from worker.app import app
    from worker.tasks import outbox as relay_task

    broker = redis.Redis.from_url(config.get().broker_url)
    broker.delete(DEFAULT_QUEUE, CODES_QUEUE)
    now = clock.now()
    with db.unit_of_work() as s:
        for i in range(200):  # a mailing waiting to be rendered
            outbox.add(s, "letters.render", {"letter_ids": [i]}, key=f"render:backlog:{i}", now=now)
        outbox.add(s, "sms.send", {"to": "+41791234567", "text": "code"}, key="sms:queue-test", now=now)
    try:
        assert relay_task.relay.run() == 201
        assert _tasks(broker, CODES_QUEUE) == ["sms.send"]
        assert _tasks(broker, DEFAULT_QUEUE).count("letters.render") == 200  # beside any relay wake-up
        with db.unit_of_work() as s:
            assert s.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.key == "sms:queue-test")) is not None
        assert {queue.name for queue in app.conf.task_queues} == {DEFAULT_QUEUE, CODES_QUEUE}
    finally:
        broker.delete(DEFAULT_QUEUE, CODES_QUEUE)
