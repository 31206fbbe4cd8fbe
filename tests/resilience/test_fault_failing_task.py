"""Fault 6: a task that keeps failing (the SMTP server refuses every mail) is retried with backoff, then parked
where staff see it (the operations page), and the rest of the work goes on: the same request's letter is
rendered. A task stopped by its hard time limit (an SMTP server that never answers) is parked as well."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from resilience_support import add_members, count, submit_requests, tally
from smtp_servers import FaultySmtp
from sqlalchemy import select

from core import db
from core.models import ParkedTask
from tests.integration.staff_support import create_staff, english_client, log_in, make_app
from tests.polling import poll
from worker.tasks.mail import send

RETRIES = send.max_retries


def _retry_gaps(log: Path) -> dict[str, list[float]]:
    """Per task id, the seconds between its attempts (from the worker's task.retry and task.parked lines)."""
    seen: dict[str, list[datetime]] = {}
    for line in log.read_text().splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("event") in ("task.retry", "task.parked") and event.get("task") == "mail.send":
            seen.setdefault(event["task_id"], []).append(datetime.fromisoformat(event["timestamp"]))
    return {task_id: [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
            for task_id, times in seen.items()}


def _parked() -> list[ParkedTask]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(ParkedTask).order_by(ParkedTask.id)))
        for row in rows:
            s.expunge(row)
        return rows


def _operations_page() -> str:
    app = make_app()
    client = english_client(app)
    log_in(client, create_staff("olga.ops", "Olga Ops", role="supervisor"))
    page = client.get("/staff/operations")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_fault6_refusing_smtp_is_retried_with_backoff_then_parked_and_other_work_goes_on(stack, report):
    row = report.row("6 SMTP refuses: retry, park, go on")
    smtp = FaultySmtp("refuse")
    try:
        stack.worker("smtp-refused", beat=True, SMTP_URL=smtp.url, TASK_RETRY_BACKOFF="1",
                     TASK_RETRY_BACKOFF_MAX="2")
        submit_requests(add_members(3))  # each: an acknowledgement mail (refused) and a code letter
        assert stack.relay() == 0
        poll(lambda: tally().completed == 3, 120, "the letters to be rendered while the mails fail")
        parked = poll(lambda: len(rows := _parked()) == 3 and rows, 180, "the three mails to be parked")
    finally:
        smtp.close()
    gaps = _retry_gaps(stack.log("smtp-refused"))
    row.runs = len(smtp.attempts)
    row.lost = 3 - len(parked)
    assert len(smtp.attempts) == 3 * (RETRIES + 1), "each mail: its first try and every retry"
    assert len(gaps) == 3 and all(len(waits) == RETRIES for waits in gaps.values()), gaps
    # Backoff with jitter: each wait is random up to the (here 2 s) cap, so they are not all immediate.
    assert all(max(waits) <= 2 + 1.5 and sum(waits) > 1 for waits in gaps.values()), gaps
    assert {(p.task, p.error_type, p.failures) for p in parked} == {("mail.send", "SMTPConnectError", 1)}
    assert all(p.args["kwargs"]["body"] == "[redacted]" for p in parked), "parked rows keep no mail text"
    page = _operations_page()
    assert page.count("mail.send") >= 3 and "SMTPConnectError" in page
    assert tally().completed == 3


def test_fault6_task_stopped_by_its_hard_time_limit_is_parked(stack, report):
    row = report.row("6 hard time limit: parked")
    smtp = FaultySmtp("tarpit")
    try:
        # No soft limit: only the hard one (the pool kills the process running the task) stops the mail, which
        # would otherwise wait 30 s for the server's greeting.
        stack.worker("smtp-tarpit", beat=True, SMTP_URL=smtp.url, TASK_TIME_LIMIT="3", TASK_SOFT_TIME_LIMIT="0")
        submit_requests(add_members(1))
        assert stack.relay() == 0
        parked = poll(lambda: _parked(), 90, "the mail stopped by its time limit to be parked")
        poll(lambda: tally().completed == 1, 60, "the letter to be rendered all the same")
    finally:
        smtp.close()
    row.runs, row.lost = 1, 1 - len(parked)
    assert [(p.task, p.error_type) for p in parked] == [("mail.send", "TimeLimitExceeded")]
    assert count(ParkedTask) == 1
