"""Tasks: requests. The decision itself is in core.desk.requests; this only gives it a transaction."""

from __future__ import annotations

from core import clock, db
from core.desk import requests
from worker.app import BackofficeTask, app


@app.task(name="requests.decide", base=BackofficeTask)
def decide(request_id: int) -> None:
    with db.unit_of_work() as session:  # does nothing if the request was already decided
        requests.decide(session, request_id, now=clock.now())
