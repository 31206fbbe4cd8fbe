"""The operations page (supervisors): the outbox backlog, tasks parked after their last retry with their error
and ids, retry (published again through the outbox under a new key) and discard, both audited (R18)."""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from core import clock, db, outbox
from core.domain.states import ParkedStatus
from core.models import AuditEvent, OutboxMessage, ParkedTask
from core.observability import REDACTED
from core.operations import operations
from tests.integration.ops_support import NOWHERE_PORT, environment
from tests.integration.staff_support import create_staff, csrf, english_client, log_in, make_app

BODY = "Guten Tag Frau Muster, Ihre Anfrage R-ABCD-EFGH ist eingegangen."
ARGS = {"to": "anna@example.ch", "subject": "Ihre Anfrage", "body": BODY}


def _failed_mail(monkeypatch, key: str = "mail:request-received:41") -> int:
    """A mail task queued through the outbox that fails after its last retry, as a worker would run it."""
    from worker.tasks import mail

    with db.unit_of_work() as s:
        outbox.add(s, "mail.send", ARGS, key=key, now=clock.now())
    with environment(monkeypatch, SMTP_URL=f"smtp://127.0.0.1:{NOWHERE_PORT}"):
        assert mail.send.apply(kwargs=ARGS, task_id=key).state == "FAILURE"
    with db.unit_of_work() as s:
        return s.scalar(select(ParkedTask.id).where(ParkedTask.task_id == key))


def _supervisor_client():
    client = english_client(make_app())
    log_in(client, create_staff("sara.supervisor", "Sara Supervisor", role="supervisor"))
    return client


def _audit(action: str) -> list[AuditEvent]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_r18_parked_task_retried_from_the_page_goes_out_again_under_a_new_key(pg, monkeypatch):
    parked_id = _failed_mail(monkeypatch)
    with db.unit_of_work() as s:
        parked = s.get(ParkedTask, parked_id)
        assert parked.status == ParkedStatus.PARKED and parked.error_type == "ConnectionRefusedError"
        assert parked.args["kwargs"]["body"] == REDACTED  # the mail text is not copied into the parked row
    client = _supervisor_client()

    page = client.get("/staff/operations")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "mail.send" in text and "ConnectionRefusedError" in text and BODY not in text

    retried = client.post(f"/staff/operations/parked/{parked_id}/retry", data={"csrf_token": csrf(text)})
    assert retried.status_code == 303
    with db.unit_of_work() as s:
        parked = s.get(ParkedTask, parked_id)
        assert parked.status == ParkedStatus.RETRIED and parked.resolved_by == "staff:sara.supervisor"
        again = s.scalar(select(OutboxMessage).where(OutboxMessage.key == parked.retry_key))
    assert again is not None and again.sent_at is None and again.task == "mail.send"
    assert again.args == ARGS and again.key != "mail:request-received:41"  # the original text, a new task id
    assert [event.subject for event in _audit("task.retried")] == [f"parked:{parked_id}"]
    assert "mail.send" not in client.get("/staff/operations").get_data(as_text=True).split("Parked tasks")[1] \
        .split("Periodic jobs")[0]

    again_page = client.get("/staff/operations").get_data(as_text=True)
    twice = client.post(f"/staff/operations/parked/{parked_id}/retry", data={"csrf_token": csrf(again_page)})
    assert twice.status_code == 409 and len(_audit("task.retried")) == 1


def test_r18_discarded_task_stays_discarded_and_is_audited(pg, monkeypatch):
    parked_id = _failed_mail(monkeypatch)
    client = _supervisor_client()
    token = csrf(client.get("/staff/operations").get_data(as_text=True))
    assert client.post(f"/staff/operations/parked/{parked_id}/discard", data={"csrf_token": token}).status_code == 303
    with db.unit_of_work() as s:
        assert s.get(ParkedTask, parked_id).status == ParkedStatus.DISCARDED
        assert s.scalar(select(OutboxMessage).where(OutboxMessage.key.like("retry%"))) is None
    assert [event.actor for event in _audit("task.discarded")] == ["staff:sara.supervisor"]
    from core.cli import main

    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 0


def test_a_text_message_is_parked_without_its_text_and_is_not_sent_again(pg):
    with db.unit_of_work() as s:
        parked_id = operations.park(s, operations.Failure(
            task_id="sms:login:7:3", task="sms.send", args=[], kwargs={"to": "+41791234567",
                                                                     "text": "Ihr connect-Code: 493817"},
            error_type="GatewayError", error_message="rejected text 'Ihr connect-Code: 493817'"), clock.now())
    with db.unit_of_work() as s:
        row = s.get(ParkedTask, parked_id)
        assert "493817" not in repr(row.args) + row.error_message
    client = _supervisor_client()
    text = client.get("/staff/operations").get_data(as_text=True)
    assert "sms.send" in text and "493817" not in text
    assert f"/staff/operations/parked/{parked_id}/retry" not in text  # no retry button
    refused = client.post(f"/staff/operations/parked/{parked_id}/retry", data={"csrf_token": csrf(text)})
    assert refused.status_code == 409 and "expired" in refused.get_data(as_text=True)


def test_the_page_shows_the_backlog_the_ids_and_the_periodic_jobs(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        for n in range(3):
            outbox.add(s, "letters.render", {"letter_ids": [n]}, key=f"render:ops-{n}", now=now)
        operations.park(s, operations.Failure("render:1-600", "letters.render", [], {"letter_ids": list(range(1, 601))},
                                              "OSError", "disk full"), now)
        operations.beat_seen(s, "job", "job:outbox.relay", now, "SUCCESS")
    text = _supervisor_client().get("/staff/operations").get_data(as_text=True)
    assert re.search(r"3 tasks are waiting in the outbox", text)
    assert "letter_ids" in text and "600" in text and "disk full" in text
    assert "outbox.relay" in text and "operations.retention" in text and "Not yet" in text


def test_only_supervisors_open_the_operations_page(pg):
    client = english_client(make_app())
    log_in(client, create_staff("carl.clerk", "Carl Clerk", role="clerk"))
    assert client.get("/staff/operations").status_code == 403
    anonymous = english_client(make_app()).get("/staff/operations")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
