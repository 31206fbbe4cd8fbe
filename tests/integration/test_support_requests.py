"""Support requests (Situation 4): sent from the public page or the portal, stored as a request and a case in one
transaction with the acknowledgement e-mail; staff answer by e-mail from the desk and close the case (R18)."""

from __future__ import annotations

import pytest
from admin_support import ALL, log_in, make_login, outbox_rows, text
from admin_support import make_member as make_admin_member
from admin_support import new_client as plain_client
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, make_app
from staff_support import log_in as staff_log_in

from core import clock, config, db
from core.desk import desk, support
from core.domain.states import CaseStatus
from core.models import AuditEvent, Case, History, Request


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def open_app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


FORM = {"topic": "two_step_login", "message": "My new phone shows no codes.\nWhat can I do?",
        "name": "Lea Keller", "email": "lea.keller@example.ch", "phone": "", "member_number": "900100",
        "company": "Keller Bau AG"}


def test_a_public_support_request_is_stored_with_its_case_and_acknowledged(app):
    client = english_client(app)
    page = client.get("/support")
    assert page.status_code == 200 and config.get().support_email in text(page)
    sent = client.post("/support", data={"csrf_token": csrf(page.data), **FORM})
    assert sent.status_code == 303
    reference = sent.headers["Location"].rsplit("/", 1)[-1]
    confirmation = text(client.get(sent.headers["Location"]))
    assert reference in confirmation and "What happens next" in confirmation
    with db.unit_of_work() as s:
        request = s.scalar(select(Request).where(Request.reference == reference))
        assert request.kind == "support" and request.details == {"topic": "two_step_login"}
        assert request.member_id is None and request.member_number == "900100"
        case = s.scalar(select(Case).where(Case.request_id == request.id))
        assert case.kind == "support" and case.status == CaseStatus.OPEN
    mails = [row.args for row in outbox_rows("mail.send") if row.args["to"] == "lea.keller@example.ch"]
    assert len(mails) == 1 and reference in mails[0]["subject"]


def test_a_request_with_a_missing_field_names_it_and_stores_nothing(app):
    client = english_client(app)
    token = csrf(client.get("/support").data)
    refused = client.post("/support", data={"csrf_token": token, **FORM, "email": "not-an-address"})
    assert refused.status_code == 422
    assert "Enter an e-mail address like name@example.ch" in text(refused)
    no_topic = client.post("/support", data={"csrf_token": token, **{k: v for k, v in FORM.items() if k != "topic"}})
    assert no_topic.status_code == 422 and "Choose what your question is about" in text(no_topic)
    assert _count(Request) == 0 and _count(Case) == 0


def test_the_portal_form_is_prefilled_and_the_member_comes_from_the_login(open_app):
    member_id = make_admin_member("900200", "Sommer Transport AG")
    login_id, secret = make_login(member_id, "Nina Sommer", "nina@sommer.ch", ALL)
    client = log_in(open_app, "900200", "nina@sommer.ch", login_id, secret)
    assert client.get("/support").headers["Location"].endswith("/portal/support")
    page = text(client.get("/portal/support"))
    assert 'value="Nina Sommer"' in page and 'value="nina@sommer.ch"' in page
    sent = client.post("/portal/support", data={**FORM, "name": "Nina Sommer", "email": "nina@sommer.ch",
                                                "member_number": "123"})
    assert sent.status_code == 303
    with db.unit_of_work() as s:
        request = s.scalar(select(Request).where(Request.kind == "support"))
        assert request.member_id == member_id and request.member_number == "900200"
        assert request.details == {"topic": "two_step_login", "login_id": login_id}


def test_r18_staff_answer_by_e_mail_from_the_desk_and_close(app):
    with db.unit_of_work() as s:
        reference = support.submit(s, support.SupportRequest(**{k: v for k, v in FORM.items()}, language="fr"),
                                   clock.now())
    with db.unit_of_work() as s:
        case_id = s.scalar(select(Case.id).where(Case.kind == "support"))
    client = english_client(app)
    staff_log_in(client, create_staff())
    page = client.get(f"/staff/cases/{case_id}")
    assert "My new phone shows no codes." in text(page) and "Two-step login" in text(page)
    token = csrf(page.data)
    empty = client.post(f"/staff/cases/{case_id}/support/answer",
                        data={"answer-csrf_token": token, "answer-message": " "})
    assert empty.status_code == 422 and "Enter the answer" in text(empty)
    answered = client.post(f"/staff/cases/{case_id}/support/answer",
                           data={"answer-csrf_token": token, "answer-message": "Open the profile, then …"})
    assert answered.status_code == 303
    answer = [row.args for row in outbox_rows("mail.send") if "Réponse" in row.args["subject"]]
    assert len(answer) == 1 and reference in answer[0]["subject"] and "Open the profile" in answer[0]["body"]
    assert answer[0]["to"] == "lea.keller@example.ch"
    closed = client.post(f"/staff/cases/{case_id}/close", data={"close-csrf_token": token, "close-note": ""})
    assert closed.status_code == 303
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.CLOSED
        events = list(s.scalars(select(History.event).where(History.case_id == case_id).order_by(History.id)))
        assert events == ["case.opened", "support.answered", "case.closed"]
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.subject == f"case:{case_id}")))
        assert actions == ["case.opened", "support.answered", "case.closed"]
    late = client.post(f"/staff/cases/{case_id}/support/answer",
                       data={"answer-csrf_token": token, "answer-message": "one more thing"})
    assert late.status_code == 409


def test_the_contact_address_shown_to_members_is_a_setting(monkeypatch, pg):
    monkeypatch.setenv("SUPPORT_EMAIL", "hilfe@exfour.ch")
    config.reset()
    try:
        client = plain_client(make_app())
        assert "hilfe@exfour.ch" in text(client.get("/support"))
        assert "hilfe@exfour.ch" in text(client.get("/help/"))
    finally:
        monkeypatch.delenv("SUPPORT_EMAIL")
        config.reset()


def test_a_support_case_is_never_approved_into_a_code_letter(pg):
    member_id = make_admin_member("900300", "Keller Bau AG")
    with db.unit_of_work() as s:
        support.submit(s, support.SupportRequest("other", "Hello", "Lea", "lea@keller.ch", "de"), clock.now(),
                       member_id=member_id)
    clerk = create_staff()
    with db.unit_of_work() as s:
        case_id = s.scalar(select(Case.id).where(Case.kind == "support"))
    with db.unit_of_work() as s, pytest.raises(desk.CannotApprove):
        desk.approve(s, case_id, clerk.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.OPEN
