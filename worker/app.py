"""The Celery application: reliable defaults for every task, and the beat schedule."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import worker_process_init
from kombu import Queue
from sqlalchemy.exc import DBAPIError

import worker.observability  # noqa: F401  (JSON logs, request ids, metrics and heartbeats via Celery's signals)
from core import config, db, queues, relay_wake
from core.queues import DEFAULT_QUEUE, ROUTES
from core.schedule import JOBS, Every, Job

TASK_MODULES = [
    "worker.tasks.outbox",
    "worker.tasks.requests",
    "worker.tasks.letters",
    "worker.tasks.mail",
    "worker.tasks.logins",
    "worker.tasks.sms",
    "worker.tasks.operations",
    "worker.tasks.trustees",
    "worker.tasks.desk",
]


def _beat_entry(job: Job) -> dict[str, Any]:
    when = job.when
    entry: dict[str, Any] = {"task": job.task, "schedule": when.seconds if isinstance(when, Every)
                             else crontab(hour=when.hour, minute=when.minute)}
    if job.expires_s is not None:
        entry["options"] = {"expires": job.expires_s}
    return entry


config.check_production(config.get())
app = Celery("backoffice", include=TASK_MODULES)
app.conf.update(
    broker_url=config.get().broker_url,
    task_serializer="json",
    accept_content=["json"],
    result_backend=None,
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,  # a worker killed mid-task hands the task back
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_send_task_events=True,
    task_send_sent_event=True,
    timezone="Europe/Zurich",
    # A code a person is waiting for (the SMS at login, valid 5 minutes) must not wait behind a mailing or an intake
    # flood: it has its own queue. Every worker takes both queues unless told otherwise (-Q); a worker started
    # with `-Q codes` is capacity for codes alone (Procfile, docker-compose.yml).
    task_queues=tuple(Queue(name) for name in queues.names()),
    task_default_queue=DEFAULT_QUEUE,
    task_routes={task: {"queue": queue} for task, queue in ROUTES.items()},
    beat_schedule={name: _beat_entry(job) for name, job in JOBS.items()},
)
relay_wake.use(lambda: app.send_task("outbox.relay", retry=False))  # tasks' commits wake the relay (core.outbox)

if app.conf.broker_url.startswith("redis"):
    # Unacknowledged tasks come back after this long when a worker vanished (acks_late); longer than any task.
    app.conf.broker_transport_options = {"visibility_timeout": 3600}
elif app.conf.broker_url.startswith("sqla+"):
    # The SQL transport sleeps this long whenever the pool is full (one task per process, acks_late) as well as
    # when the queues are empty: at its default of 1 s a worker ran two tasks a second however long the queue.
    # An empty poll is one indexed read of a local file. Set on the class: this transport hands every transport
    # option to create_engine, which refuses `polling_interval`.
    from kombu.transport import sqlalchemy as sql_transport

    sql_transport.Transport.polling_interval = 0.05


def _seconds(name: str, default: int) -> int:
    """A retry or time-limit setting from the environment (operators tune them; the fault tests shorten them)."""
    return int(os.environ.get(name, default))


class BackofficeTask(Task):  # type: ignore[misc]
    """Every task: acknowledged after it ran, retried with backoff on transient faults, time-limited. A task
    stopped by its hard time limit is parked like one that failed (Celery calls on_failure for it too)."""

    acks_late = True
    autoretry_for = (DBAPIError, ConnectionError, OSError)
    retry_backoff = _seconds("TASK_RETRY_BACKOFF", 2)
    retry_backoff_max = _seconds("TASK_RETRY_BACKOFF_MAX", 300)
    retry_jitter = True
    max_retries = 8
    soft_time_limit = _seconds("TASK_SOFT_TIME_LIMIT", 300) or None  # 0: only the hard limit
    time_limit = _seconds("TASK_TIME_LIMIT", 360)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Failed after its last retry (or for good): parked where staff see it, with secrets masked."""
        worker.observability.park(self.name, exc, task_id, args, kwargs)


@worker_process_init.connect
def _fresh_engine(**_: object) -> None:
    # A forked child must not share the parent's database connections.
    db.dispose()
