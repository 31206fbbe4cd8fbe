"""Tasks: requests. The decision itself is in core.services.requests; this only gives it a transaction."""

from __future__ import annotations

from core import clock, db
from core.services import requests
from worker.app import BackofficeTask, app
from worker.nudge import relay_soon


@app.task(name="requests.decide", base=BackofficeTask)
def decide(request_id: int) -> None:
    with db.unit_of_work() as session:  # does nothing if the request was already decided
        outcome = requests.decide(session, request_id, now=clock.now())
    if outcome is not None:
        relay_soon()  # the letter or the mails it queued need not wait for beat's next relay tick
