"""The web's one use of the broker: asking the worker to run the outbox relay now, after a commit that queued work
(core.outbox wakes it through core.relay_wake). Tasks themselves never leave the web: they wait in the outbox
table, and the relay publishes them."""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery

from core.queues import DEFAULT_QUEUE

RELAY_TASK = "outbox.relay"


def relay_sender(broker_url: str) -> Callable[[], None]:
    """A publisher of "run the relay" by task name: the web knows the worker's tasks only by name."""
    client = Celery("backoffice-web", broker=broker_url, set_as_current=False)
    client.conf.update(task_default_queue=DEFAULT_QUEUE, broker_connection_retry_on_startup=True)

    def send() -> None:
        client.send_task(RELAY_TASK, retry=False)

    return send
