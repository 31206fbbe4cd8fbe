"""Tasks: the staff desk. The rules are in core.desk.staff_notices."""

from __future__ import annotations

from core import clock, db
from core.desk import staff_notices
from worker.app import BackofficeTask, app


@app.task(name="desk.notify_staff", base=BackofficeTask)
def notify_staff() -> None:
    with db.unit_of_work() as session:  # a staff member told in the last 15 minutes is skipped: a retry sends nothing
        staff_notices.notify(session, now=clock.now())
