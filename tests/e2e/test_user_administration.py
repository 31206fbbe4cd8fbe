"""User administration end to end (R7, R8, R10, R11): in chromium an administrator creates a login; the real worker
mails the invitation and sends the SMS code through the file gateway; the invitee enrols with that code and a
TOTP; the administrator grants a right; the invitee schedules their own last working day; the clock of every
process passes midnight; the login is refused, and the worker's sweep ends it and tells the administrator."""

from __future__ import annotations

import email
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from core import clock, config, db, secrets_box, sms
from core.domain import rights, totp
from core.domain.deactivation import refused_from
from core.domain.states import LoginStatus
from core.models import Invitation, Login, Member, OutboxMessage
from tests.e2e.conftest import poll

NUMBER = "300501"
ADMIN_EMAIL, INVITEE_EMAIL = "anna@useradmin.example", "dora@useradmin.example"
ADMIN_PASSWORD, INVITEE_PASSWORD = "Quarry-Meadow-Lantern-19", "Harbour-Thistle-Comet-58"
INVITEE_MOBILE = "+41795550011"


def _administrator() -> str:
    now = clock.now()
    secret = totp.new_secret()
    with db.unit_of_work() as s:
        member = Member(member_number=NUMBER, uid="CHE-100.155.212", name="Useradmin AG", care_of="",
                        street="Marktgasse 5", po_box="", postcode="3011", town="Bern", language="de", email="",
                        code_failures=0, created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        s.add(Login(member_id=member.id, name="Anna Admin", email=ADMIN_EMAIL, mobile="+41791110022",
                    language="en", password_hash=secrets_box.hash_password(ADMIN_PASSWORD),
                    totp_secret=secrets_box.encrypt(secret), totp_last_step=0, rights=rights.all_rights(),
                    status=LoginStatus.ACTIVE, session_version=1, created_at=now, activated_at=now))
    return secret


def _log_in(page, base: str, email_address: str, password: str, secret: str, steps_ahead: int = 0) -> None:
    page.goto(f"{base}/login?lang=en")
    page.fill("#member_number", NUMBER)
    page.fill("#email", email_address)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/login/second-step"))
    page.fill("#otp", pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * steps_ahead)))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))


def _invitation_link() -> str | None:
    with db.unit_of_work() as s:
        invitation_id = s.scalar(select(Invitation.id).where(Invitation.mailed_at.is_not(None)))
    path = config.get().mail_dir / f"invitation-{invitation_id}.eml" if invitation_id else None
    if path is None or not path.exists():
        return None
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == INVITEE_EMAIL
    return re.search(r"(http://\S+/invitation/\S+)", message.get_payload(decode=True).decode()).group(1)


def _sms_code() -> str | None:
    with db.unit_of_work() as s:
        key = s.scalar(select(OutboxMessage.key).where(OutboxMessage.task == "sms.send")
                       .order_by(OutboxMessage.id.desc()).limit(1))
    path = sms.file_for(key) if key else None
    if path is None or not path.exists():
        return None
    message = path.read_text(encoding="utf-8")
    assert message.startswith(f"To: {INVITEE_MOBILE}\n")
    return re.search(r"\b(\d{6})\b", message).group(1)


def _invitee() -> Login | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Login).where(Login.email == INVITEE_EMAIL))


def _told_administrator(login_id: int) -> bool:
    """The sweep's e-mail to the administrator, as the worker delivered it to the mail folder."""
    with db.unit_of_work() as s:
        key = s.scalar(select(OutboxMessage.key).where(OutboxMessage.key.like(f"mail:login-ended:{login_id}:%"),
                                                       OutboxMessage.sent_at.is_not(None)))
    if key is None:
        return False
    found = [p for p in config.get().mail_dir.glob("*.eml") if p.name.startswith(key.replace(":", "_"))]
    return bool(found) and "has been deactivated" in found[0].read_text(errors="replace")


def test_an_administrator_invites_a_colleague_who_enrols_leaves_and_is_refused(pg, web_server, worker_process,
                                                                               browser, clock_file):
    admin_secret = _administrator()
    admin = browser.new_page()
    _log_in(admin, web_server, ADMIN_EMAIL, ADMIN_PASSWORD, admin_secret)
    admin.get_by_role("link", name="User administration", exact=True).click()
    admin.get_by_role("link", name="New login", exact=True).click()
    admin.fill("#name", "Dora Weber")
    admin.fill("#email", INVITEE_EMAIL)
    admin.fill("#mobile", "079 555 00 11")
    admin.select_option("#language", "en")
    admin.check("#rights-salary_declarations")
    admin.get_by_role("button", name="Create the login and send the invitation").click()
    admin.wait_for_selector("text=We have sent an invitation to dora@useradmin.example")
    assert "Dora Weber" in admin.inner_text("main")

    link = poll(_invitation_link, 60, "the worker to mail the invitation")
    invitee = browser.new_page()  # its own browser context: its own cookies
    invitee.goto(link)
    invitee.wait_for_url(re.compile(r"/invitation$"))
    assert "+41 79 *** ** 11" in invitee.inner_text("main")
    invitee.get_by_role("button", name="Send me a code by SMS").click()
    code = poll(_sms_code, 60, "the worker to send the SMS code")
    invitee.fill("#code", code)
    invitee.get_by_role("button", name="Continue").click()
    invitee.wait_for_url(re.compile(r"/invitation/password"))
    invitee.fill("#password", INVITEE_PASSWORD)
    invitee.fill("#confirm", INVITEE_PASSWORD)
    invitee.get_by_role("button", name="Continue").click()
    invitee.wait_for_url(re.compile(r"/invitation/authenticator"))
    invitee_secret = re.sub(r"\s", "", invitee.inner_text(".secret"))
    invitee.fill("#otp", pyotp.TOTP(invitee_secret).at(clock.now()))
    invitee.get_by_role("button", name="Activate my login").click()
    invitee.wait_for_url(re.compile(r"/invitation/done"))
    assert "Your recovery codes" in invitee.inner_text("main")
    dora = _invitee()
    assert dora.status == LoginStatus.ACTIVE and dora.rights == ["salary_declarations"]

    # The administrator grants a second right.
    admin.goto(f"{web_server}/portal/admin/")
    admin.get_by_role("link", name="Dora Weber").first.click()
    admin.get_by_role("link", name="Change name, e-mail address, mobile number, language or rights").click()
    admin.check("#rights-correspondence")
    admin.get_by_role("button", name="Save the changes").click()
    admin.wait_for_selector("text=The changes to Dora Weber have been saved.")
    assert _invitee().rights == ["salary_declarations", "correspondence"]

    # The invitee logs in and schedules their own last working day: today.
    _log_in(invitee, web_server, INVITEE_EMAIL, INVITEE_PASSWORD, invitee_secret, steps_ahead=1)
    assert "Correspondence" in invitee.inner_text("main")
    invitee.goto(f"{web_server}/portal/profile")
    invitee.get_by_role("link", name="Deactivate your login").click()
    today = clock.today_in_zurich(clock.now())
    invitee.check("#when-date")
    invitee.fill("#last_day", today.isoformat())
    invitee.get_by_role("button", name="Deactivate my login").click()
    invitee.wait_for_selector("text=Your login works until the end of")
    assert _invitee().last_day == today
    invitee.goto(f"{web_server}/portal/")
    assert "Welcome, Dora Weber" in invitee.inner_text("main")  # still works today

    try:
        # Every process's clock passes midnight, Zurich time, after the last working day.
        clock.set_offset((refused_from(today) - clock.now()).total_seconds() + 120)
        invitee.goto(f"{web_server}/portal/")
        invitee.wait_for_url(re.compile(r"/login"))  # R11: refused on the next request, before any sweep
        invitee.fill("#member_number", NUMBER)
        invitee.fill("#email", INVITEE_EMAIL)
        invitee.fill("#password", INVITEE_PASSWORD)
        invitee.click("button[type=submit]")
        invitee.wait_for_selector("text=This login cannot be used")

        from worker.app import app as celery_app

        celery_app.send_task("logins.sweep_deactivations")  # beat runs it every minute; no need to wait for it
        poll(lambda: _invitee().status == LoginStatus.DEACTIVATED, 90, "the sweep to deactivate the login")
        poll(lambda: _told_administrator(dora.id), 60, "the worker to e-mail the administrator")
    finally:
        clock.set_offset(0)
    admin.close()
    invitee.close()
