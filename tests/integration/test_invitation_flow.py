"""Invitations on real PostgreSQL: the e-mail from the real task, the SMS code, the password and the authenticator;
single use, 72 hours, a resend voids the earlier link, a cancelled one is gone (R7, R8, R10, R18)."""

from __future__ import annotations

import email
import re
from datetime import timedelta

import pyotp
import pytest
from admin_support import (
    ALL,
    PASSWORD,
    log_in,
    login_row,
    make_login,
    make_member,
    new_client,
    outbox_rows,
    sms_code_sent_to,
    text,
)
from sqlalchemy import select

from core import clock, config, db
from core.domain import rights
from core.domain.states import InvitationStatus, LoginStatus
from core.models import AuditEvent, Invitation, Login, RecoveryCode

NUMBER = "410100"
INVITEE = "dora@muster.example"
NEW_PASSWORD = "Rheinfall bei Morgennebel"
LINK = re.compile(r"(http://\S+/invitation/(\S+))")


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


@pytest.fixture
def admin(app):
    member_id = make_member(NUMBER, "Muster Holzbau AG")
    anna = make_login(member_id, "Anna Muster", "anna@muster.example", ALL)
    return member_id, log_in(app, NUMBER, "anna@muster.example", *anna), anna


@pytest.fixture
def clock_file(tmp_path, monkeypatch):
    """Move this process's clock, as the e2e tests move every process's."""
    monkeypatch.setenv("BACKOFFICE_CLOCK_FILE", str(tmp_path / "clock"))
    clock.set_offset(0)
    return clock


def invite(admin_client, rights_given: tuple[str, ...] = ("salary_declarations", "correspondence")) -> int:
    made = admin_client.post("/portal/admin/new", data={
        "name": "Dora Weber", "email": INVITEE, "mobile": "079 555 66 77", "language": "en",
        "rights": list(rights_given)})
    assert made.status_code == 303, text(made)
    return latest_invitation_id()


def latest_invitation_id() -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Invitation.id).order_by(Invitation.id.desc()).limit(1))


def mail_invitation(invitation_id: int) -> str | None:
    """Run the real task in this process, and read the link from the e-mail it wrote to the mail folder."""
    from worker.tasks.logins import send_invitation

    target = config.get().mail_dir / f"invitation-{invitation_id}.eml"
    target.unlink(missing_ok=True)
    send_invitation(invitation_id)
    if not target.exists():
        return None
    message = email.message_from_bytes(target.read_bytes())
    assert message["To"] == INVITEE
    body = message.get_payload(decode=True).decode()
    return LINK.search(body).group(1)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def enrol(app, link: str, otp_step_offset: int = 0) -> tuple[object, str]:
    """The invitee's whole way through; returns their browser and authenticator secret."""
    invitee = new_client(app)
    opened = invitee.get(path_of(link))
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/invitation")
    assert invitee.post("/invitation/send-code").status_code == 303
    code = sms_code_sent_to("+41795556677")
    confirmed = invitee.post("/invitation/code", data={"code": code})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/invitation/password")
    saved = invitee.post("/invitation/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 303, text(saved)
    page = text(invitee.get("/invitation/authenticator"))
    secret = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    step = int(clock.now().timestamp()) // 30 + otp_step_offset
    done = invitee.post("/invitation/authenticator", data={"otp": pyotp.TOTP(secret).generate_otp(step)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/invitation/done"), text(done)
    return invitee, secret


def test_r7_r10_the_invitee_confirms_the_sms_sets_a_password_and_enrols_with_the_rights_given(app, admin):
    member_id, anna, _ = admin
    invitation_id = invite(anna)
    link = mail_invitation(invitation_id)
    assert link.startswith(config.get().public_base_url)
    token = link.rsplit("/", 1)[1]
    with db.unit_of_work() as s:
        invitation = s.get(Invitation, invitation_id)
        assert invitation.token_hash and token not in invitation.token_hash  # only its hash is kept
    assert all(token not in str(row.args) for row in outbox_rows("logins.send_invitation"))

    invitee = new_client(app)
    opened = invitee.get(path_of(link))
    assert opened.status_code == 303
    welcome = text(invitee.get("/invitation"))
    assert "Hello Dora Weber. Muster Holzbau AG has opened a login for you" in welcome
    assert "+41 79 *** ** 77" in welcome and "+41795556677" not in welcome
    assert invitee.get("/invitation/password").headers["Location"].endswith("/invitation")  # SMS first
    assert invitee.post("/invitation/send-code").status_code == 303
    assert "We sent a 6-digit code by SMS to +41 79 *** ** 77" in text(invitee.get("/invitation"))
    wrong = invitee.post("/invitation/code", data={"code": "000000" if sms_code_sent_to("+41795556677")
                                                   != "000000" else "111111"})
    assert wrong.status_code == 422 and "This code is not right" in text(wrong)
    code = sms_code_sent_to("+41795556677")
    assert invitee.post("/invitation/code", data={"code": code}).status_code == 303
    weak = invitee.post("/invitation/password", data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422 and "too common" in text(weak)
    assert invitee.post("/invitation/password", data={"password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD}).status_code == 303
    page = text(invitee.get("/invitation/authenticator"))
    assert 'src="data:image/svg+xml' in page and "Step 3 of 3" in page
    secret = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    step = int(clock.now().timestamp()) // 30
    done = invitee.post("/invitation/authenticator", data={"otp": pyotp.TOTP(secret).generate_otp(step)})
    assert done.status_code == 303
    finished = text(invitee.get("/invitation/done"))
    assert "Your login is ready" in finished and "Your recovery codes" in finished
    assert "Your recovery codes" not in text(invitee.get("/invitation/done"))  # shown once

    with db.unit_of_work() as s:
        dora = s.scalar(select(Login).where(Login.email == INVITEE))
        assert dora.status == LoginStatus.ACTIVE and dora.activated_at is not None
        assert dora.rights == ["salary_declarations", "correspondence"]
        assert not rights.is_administrator(dora.rights)  # the invitation grants nothing by itself
        assert s.get(Invitation, invitation_id).status == InvitationStatus.USED
        assert len(s.scalars(select(RecoveryCode).where(RecoveryCode.login_id == dora.id)).all()) == 8
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.subject == f"login:{dora.id}")).all()
        assert {"login.created", "invitation.sent", "login.activated", "login.second_factor_failed"} <= set(actions)
        assert s.scalar(select(Login.member_id).where(Login.id == dora.id)) == member_id
    # The new login works: password and the next code from the app.
    client = new_client(app)
    client.post("/login", data={"member_number": NUMBER, "email": INVITEE, "password": NEW_PASSWORD})
    second = client.post("/login/second-step", data={"otp": pyotp.TOTP(secret).generate_otp(step + 1)})
    assert second.status_code == 303 and second.headers["Location"].endswith("/portal/")
    assert client.get("/portal/admin/").status_code == 403


def test_an_invitation_link_works_only_once(app, admin):
    _member_id, anna, _ = admin
    link = mail_invitation(invite(anna))
    enrol(app, link)
    again = new_client(app).get(path_of(link))
    assert again.status_code == 404 and "This invitation link no longer works" in text(again)


def test_an_invitation_link_expires_after_72_hours(app, admin, clock_file):
    _member_id, anna, _ = admin
    link = mail_invitation(invite(anna))
    clock_file.set_offset(timedelta(hours=71, minutes=59).total_seconds())
    assert new_client(app).get(path_of(link)).status_code == 303
    clock_file.set_offset(timedelta(hours=72).total_seconds())
    expired = new_client(app).get(path_of(link))
    assert expired.status_code == 404 and "works once and for 72 hours" in text(expired)
    anna = log_in(app, NUMBER, "anna@muster.example", *admin[2])  # the earlier session has timed out
    listed = text(anna.get("/portal/admin/"))
    assert "Expired" in listed and "Send again" in listed
    # The task does not mail an invitation that has expired meanwhile.
    assert mail_invitation(latest_invitation_id()) is None


def test_an_invitee_who_opened_the_link_in_time_cannot_finish_after_72_hours(app, admin, clock_file):
    _member_id, anna, _ = admin
    link = mail_invitation(invite(anna))
    invitee = new_client(app)
    invitee.get(path_of(link))
    clock_file.set_offset(timedelta(hours=72, minutes=1).total_seconds())
    assert invitee.post("/invitation/send-code").status_code == 404
    assert outbox_rows("sms.send") == []


def test_a_resend_voids_the_earlier_link(app, admin):
    _member_id, anna, _ = admin
    first_id = invite(anna)
    first = mail_invitation(first_id)
    resent = anna.post(f"/portal/admin/invitations/{first_id}/resend", follow_redirects=True)
    assert "We have sent a new invitation to dora@muster.example. The earlier link no longer works." in text(resent)
    second_id = latest_invitation_id()
    assert second_id != first_id
    second = mail_invitation(second_id)
    assert new_client(app).get(path_of(first)).status_code == 404
    with db.unit_of_work() as s:
        assert s.get(Invitation, first_id).status == InvitationStatus.REPLACED
    assert mail_invitation(first_id) is None  # a late retry of the first task sends nothing
    enrol(app, second)
    assert login_row(make_login_id(INVITEE)).status == LoginStatus.ACTIVE


def make_login_id(address: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Login.id).where(Login.email == address))


def test_a_retried_mail_task_leaves_only_the_newest_link_working(app, admin):
    _member_id, anna, _ = admin
    invitation_id = invite(anna)
    first = mail_invitation(invitation_id)
    second = mail_invitation(invitation_id)
    assert first != second
    assert new_client(app).get(path_of(first)).status_code == 404
    assert new_client(app).get(path_of(second)).status_code == 303


def test_a_cancelled_invitation_is_gone(app, admin):
    _member_id, anna, _ = admin
    invitation_id = invite(anna)
    link = mail_invitation(invitation_id)
    cancelled = anna.post(f"/portal/admin/invitations/{invitation_id}/cancel", follow_redirects=True)
    body = text(cancelled)
    assert "The invitation for dora@muster.example has been cancelled." in body
    assert "There are no pending invitations." in body and "Dora Weber" not in body
    assert new_client(app).get(path_of(link)).status_code == 404
    assert login_row(make_login_id(INVITEE)).status == LoginStatus.DEACTIVATED
    # The address is free again for a new login.
    assert invite(anna) != invitation_id


def test_changing_the_email_of_an_invited_person_sends_a_new_invitation(app, admin):
    _member_id, anna, _ = admin
    invitation_id = invite(anna)
    login_id = make_login_id(INVITEE)
    saved = anna.post(f"/portal/admin/logins/{login_id}/edit", data={
        "name": "Dora Weber", "email": "dora.weber@muster.example", "mobile": "079 555 66 77", "language": "en",
        "rights": ["salary_declarations"]})
    assert saved.status_code == 303
    with db.unit_of_work() as s:
        assert s.get(Invitation, invitation_id).status == InvitationStatus.REPLACED
        assert s.scalar(select(Invitation.status).where(Invitation.id == latest_invitation_id())) == (
            InvitationStatus.PENDING)


def test_the_sms_code_cannot_be_skipped_nor_taken_from_another_invitation(app, admin):
    _member_id, anna, _ = admin
    link = mail_invitation(invite(anna))
    invitee = new_client(app)
    invitee.get(path_of(link))
    assert invitee.post("/invitation/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}) \
        .headers["Location"].endswith("/invitation")
    assert invitee.get("/invitation/authenticator").headers["Location"].endswith("/invitation")
    assert login_row(make_login_id(INVITEE)).password_hash == ""
    # A code sent to the administrator's own number for logging in does not open the invitation.
    no_code = invitee.post("/invitation/code", data={"code": "123456"})
    assert no_code.status_code == 422 and "No code has been sent yet" in text(no_code)


def test_without_an_opened_link_the_invitation_pages_say_the_link_no_longer_works(app, pg):
    client = new_client(app)
    for path in ("/invitation", "/invitation/password", "/invitation/authenticator",
                 "/invitation/" + "x" * 43):
        page = client.get(path)
        assert page.status_code == 404 and "This invitation link no longer works" in text(page), path


def test_an_administrator_invitee_gets_administration_only_because_it_was_given(app, admin):
    _member_id, anna, _ = admin
    link = mail_invitation(invite(anna, rights_given=[rights.ADMINISTRATION]))
    enrol(app, link)
    assert login_row(make_login_id(INVITEE)).rights == [rights.ADMINISTRATION]
    assert PASSWORD != NEW_PASSWORD


def test_r7_a_code_sent_to_the_old_mobile_number_stops_working_when_the_number_changes(app, admin):
    _member_id, anna, _ = admin
    link = mail_invitation(invite(anna))
    invitee = new_client(app)
    invitee.get(path_of(link))
    invitee.post("/invitation/send-code")
    old_code = sms_code_sent_to("+41795556677")
    saved = anna.post(f"/portal/admin/logins/{make_login_id(INVITEE)}/edit", data={
        "name": "Dora Weber", "email": INVITEE, "mobile": "078 999 88 77", "language": "en",
        "rights": ["salary_declarations"]})
    assert saved.status_code == 303
    refused = invitee.post("/invitation/code", data={"code": old_code})
    assert refused.status_code == 422 and "Send a new code" in text(refused)
    invitee.post("/invitation/send-code")
    new_code = sms_code_sent_to("+41789998877")
    assert invitee.post("/invitation/code", data={"code": new_code}).status_code == 303


def test_an_invitation_mail_the_broker_lost_is_queued_again_from_the_database(app, admin):
    from core.logins import invitations as invitation_service

    _member_id, anna, _ = admin
    invitation_id = invite(anna)
    now = clock.now()
    with db.unit_of_work() as s:
        assert invitation_service.requeue_unmailed(s, now + timedelta(minutes=1)) == 0  # not late yet
        assert invitation_service.requeue_unmailed(s, now + timedelta(minutes=3)) == 1
        assert invitation_service.requeue_unmailed(s, now + timedelta(minutes=3)) == 1  # same key: queued once
    assert len(outbox_rows("logins.send_invitation")) == 2
    assert mail_invitation(invitation_id) is not None
    with db.unit_of_work() as s:
        assert invitation_service.requeue_unmailed(s, now + timedelta(minutes=30)) == 0  # mailed: nothing to do
