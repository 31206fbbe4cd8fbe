"""Tasks: trustees and powers of attorney (R13, R14). The rules are in core.trustees.poa_reminders."""

from __future__ import annotations

from core import clock, db
from core.trustees import poa_reminders
from worker.app import BackofficeTask, app


@app.task(name="trustees.remind_expiring", base=BackofficeTask)
def remind_expiring() -> None:
    with db.unit_of_work() as session:  # a power already reminded is skipped, so a retry sends nothing twice
        poa_reminders.remind_expiring(session, now=clock.now())
