"""Tasks: operations. The workers' heartbeat (beat sends it every minute; its sending is beat's own heartbeat,
see worker.observability) and the daily retention run (core.operations.retention)."""

from __future__ import annotations

import structlog
from celery import current_task

from core import clock, db
from core.operations import operations, retention
from worker.app import BackofficeTask, app
from worker.observability import worker_name

log = structlog.get_logger()


@app.task(name="operations.heartbeat", base=BackofficeTask, ignore_result=True, max_retries=0)
def heartbeat() -> None:
    with db.unit_of_work() as session:
        operations.beat_seen(session, "worker", worker_name(current_task.request.hostname), clock.now(), "alive")


@app.task(name="operations.retention", base=BackofficeTask, ignore_result=True)
def apply_retention() -> None:
    with db.unit_of_work() as session:  # one transaction: all of it, or none and the next run tries again
        outcomes = retention.run(session, retention.Periods.from_environment(), clock.now())
    log.info("retention.applied", **{outcome.label.replace(" ", "_"): outcome.count for outcome in outcomes})
