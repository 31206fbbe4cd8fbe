"""The relay: publishes committed outbox rows, each with its idempotency key as the task id."""

from __future__ import annotations

from core import clock, db, outbox
from worker.app import BackofficeTask, app

BATCH = 500


@app.task(name="outbox.relay", base=BackofficeTask, ignore_result=True)
def relay() -> int:
    published = 0
    while True:
        with db.unit_of_work() as session:
            rows = outbox.claim(session, BATCH)
            for row in rows:
                app.send_task(row.task, kwargs=row.args, task_id=row.key)
            outbox.mark_sent(session, [row.id for row in rows], clock.now())
        published += len(rows)
        if len(rows) < BATCH:
            return published
