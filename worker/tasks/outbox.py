"""The relay: publishes committed outbox rows, each with its idempotency key as the task id."""

from __future__ import annotations

import os

import structlog

from core import clock, db, outbox
from core.operations import stale_work
from worker.app import BackofficeTask, app

BATCH = 500
HIDDEN_REPR = "{'…': 'hidden'}"
log = structlog.get_logger()
# Fault injection for the resilience tests, off unless set: the relay process dies (as with kill -9) after it
# published a batch and before it marked the rows sent, so the next relay publishes them again.
FAULT = "BACKOFFICE_FAULT"
DIE_AFTER_PUBLISH = "relay_after_publish"


@app.task(name="outbox.relay", base=BackofficeTask, ignore_result=True)
def relay() -> int:
    published = 0
    while True:
        with db.unit_of_work() as session:
            rows = outbox.claim(session, BATCH)
            for row in rows:
                app.send_task(row.task, kwargs=row.args, task_id=row.key,
                              kwargsrepr=HIDDEN_REPR if row.task in outbox.SECRET_TASKS else None,
                              # the request id as a header: the task's log lines carry it (worker.observability)
                              headers={"request_id": row.request_id} if row.request_id else None)
            if rows and os.environ.get(FAULT) == DIE_AFTER_PUBLISH:
                os._exit(137)
            outbox.mark_sent(session, [row.id for row in rows], clock.now())
        published += len(rows)
        if len(rows) < BATCH:
            return published


@app.task(name="outbox.requeue_stale", base=BackofficeTask, ignore_result=True)
def requeue_stale() -> None:
    with db.unit_of_work() as session:
        again = stale_work.requeue(session, clock.now())
    if again.requests or again.letters:
        log.warning("stale_work.requeued", requests=again.requests, letters=again.letters)
        relay.delay()
