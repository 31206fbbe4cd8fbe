"""Logs: JSON lines; the request id of an HTTP request reaches its outbox rows, the relay's message headers and
every task that follows, so one grep shows the whole path; and no line carries a secret."""

from __future__ import annotations

import re
from contextlib import contextmanager

from celery import signals
from pypdf import PdfReader
from sqlalchemy import select

from core import db
from core.domain.states import LetterStatus
from core.models import Letter, OutboxMessage
from core.operations import operations
from tests.integration.ops_support import captured_logs, lines
from tests.integration.requests_support import JSON_BODY, add_member
from tests.integration.staff_support import PASSWORD, create_staff, csrf, english_client, make_app

REQUEST_ID = "req-7c1e-4d2a-9f00-logtest"
CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


@contextmanager
def _published():
    """What the relay hands to the broker: task name, task id and headers of each message."""
    seen: list[tuple[str, str, dict]] = []

    def note(sender=None, headers=None, **_):
        seen.append((sender, headers.get("id"), dict(headers)))

    signals.before_task_publish.connect(note, weak=False)
    try:
        yield seen
    finally:
        signals.before_task_publish.disconnect(note)


def _relay_and_run_until_quiet() -> list[tuple[str, dict]]:
    """The relay publishes (for real, to the test broker); each message is then run here as a worker would run
    it, with the headers it was published with."""
    from worker.app import app
    from worker.tasks import letters, mail, outbox, requests  # noqa: F401  (registers the tasks)

    ran = []
    for _ in range(5):
        with db.unit_of_work() as s:
            unsent = s.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
            waiting = {row.key: row.args for row in unsent}
        if not waiting:
            break
        with _published() as seen:
            outbox.relay.apply()
        app.control.purge()  # the messages were run here; no worker of this session should run them again
        for name, task_id, headers in seen:
            if task_id in waiting:
                app.tasks[name].apply(kwargs=waiting[task_id], task_id=task_id, headers=headers)
                ran.append((name, headers))
    return ran


def test_one_grep_for_the_request_id_shows_the_request_and_every_task_it_caused(pg):
    with db.unit_of_work() as s:
        add_member(s, number=JSON_BODY["member_number"])
    client = make_app().test_client()
    with captured_logs() as stream:
        answer = client.post("/api/v1/requests", json=JSON_BODY, headers={"X-Request-ID": REQUEST_ID})
        assert answer.status_code == 202 and answer.headers["X-Request-ID"] == REQUEST_ID
        with db.unit_of_work() as s:
            assert set(s.scalars(select(OutboxMessage.request_id))) == {REQUEST_ID}  # the row written at intake
        ran = _relay_and_run_until_quiet()

    assert {name for name, _headers in ran} >= {"requests.decide", "letters.render", "mail.send"}
    assert all(headers.get("request_id") == REQUEST_ID for _name, headers in ran)
    with db.unit_of_work() as s:  # rows written by the tasks inherited the id
        assert set(s.scalars(select(OutboxMessage.request_id))) == {REQUEST_ID}
        pdf = s.scalar(select(Letter.pdf_path).where(Letter.status == LetterStatus.RENDERED))

    logged = [line for line in stream.getvalue().splitlines() if REQUEST_ID in line]  # the grep
    events = lines(stream)
    mine = [event for event in events if event.get("request_id") == REQUEST_ID]
    assert len(mine) == len(logged)  # every line naming the id carries it as its request_id
    assert any(event["event"] == "http.request" and event["route"] == "/api/v1/requests" for event in mine)
    finished = {event["task"] for event in mine if event["event"] == "task.finished"}
    assert finished >= {"requests.decide", "letters.render", "mail.send"}

    code = CODE.search("".join(page.extract_text() for page in PdfReader(pdf).pages)).group(1)
    assert code not in stream.getvalue() and code.replace("-", "") not in stream.getvalue()


def test_no_password_code_or_text_message_reaches_a_log_line(pg):
    from worker.tasks import sms

    enrolment = create_staff("lena.log", "Lena Log")
    client = english_client(make_app())
    typed_code = "7K3M-Q9P2-XW4R-HB6T"
    invitation_token = "q8Xv2LmN4pRt6WyZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ"
    with captured_logs() as stream:
        token = csrf(client.get("/staff/login").data)
        client.post("/staff/login", data={"csrf_token": token, "username": "lena.log", "password": PASSWORD})
        client.post("/staff/login", data={"csrf_token": token, "username": "lena.log", "password": PASSWORD + "x"})
        client.get(f"/invitation/{invitation_token}")  # an e-mailed link: its path carries a key to a login
        token = csrf(client.get("/register").data)
        client.post("/register", data={"csrf_token": token, "member_number": "100234", "code": typed_code})
        result = sms.send.apply(kwargs={"to": "+41791234567", "text": "Ihr connect-Code: 493817"},
                                task_id="sms:log-test", throw=False)
        import structlog

        structlog.get_logger("test").info("careless.call", password=PASSWORD, otp="493817",
                                          note=f"typed {typed_code}", totp_secret=enrolment.secret)
    text = stream.getvalue()
    assert lines(stream), "nothing was logged"
    for secret in (PASSWORD, typed_code, typed_code.replace("-", ""), "493817", enrolment.secret, invitation_token):
        assert secret not in text, secret
    if result.state == "FAILURE":  # when no SMS gateway is set up, the parked row does not keep the text either
        with db.unit_of_work() as s:
            assert "493817" not in repr([row.args for row in operations.parked(s)])
