"""Situation 3a end to end in headless chromium with the real worker (R13, R14): an administrator opens access for
a person at a trustee company; the worker mails the invitation; the trustee registers from it and acts for the
member at once, without any power of attorney; the administrator then uploads the signed power of attorney; a
staff member records it on the desk; the portal shows until when the fund may give the trustee information."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from pathlib import Path

import pyotp
from sqlalchemy import select

from core import clock, config, db, secrets_box, sms
from core.desk import staff as staff_service
from core.domain import rights, totp
from core.domain.states import CaseStatus, LoginStatus
from core.models import Case, Invitation, Login, Mandate, Member, OutboxMessage, PowerOfAttorney
from tests.e2e.conftest import poll
from tests.e2e.person import staff_logs_in, totp_from_qr
from tests.integration.trustee_code_support import pdf_bytes

NUMBER = "300377"
ADMIN_EMAIL, ADMIN_PASSWORD = "vera@weinbau.example", "Vineyard-Granite-Swallow-31"
TRUSTEE_EMAIL, TRUSTEE_PASSWORD = "marco@fiduciaria.example", "Chestnut-Lantern-Harbour-74"
TRUSTEE_MOBILE = "+41795550077"
TRUSTEE_UID = "CHE-109.600.017"
STAFF_PASSWORD = "Aare-Ufer im Abendnebel"


def _administrator() -> str:
    now = clock.now()
    secret = totp.new_secret()
    with db.unit_of_work() as s:
        member = Member(member_number=NUMBER, uid="CHE-100.155.212", name="Weinbau Ticino SA", care_of="",
                        street="Via Cantonale 8", po_box="", postcode="6500", town="Bellinzona", language="it",
                        email="", code_failures=0, created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        s.add(Login(member_id=member.id, name="Vera Admin", email=ADMIN_EMAIL, mobile="+41791110077",
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


def _trustee_login() -> Login | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Login).where(Login.email == TRUSTEE_EMAIL))


def _invitation_mail() -> str | None:
    login = _trustee_login()
    with db.unit_of_work() as s:
        invitation_id = s.scalar(select(Invitation.id).where(Invitation.login_id == login.id,
                                                             Invitation.mailed_at.is_not(None))) if login else None
    path = config.get().mail_dir / f"invitation-{invitation_id}.eml" if invitation_id else None
    if path is None or not path.exists():
        return None
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == TRUSTEE_EMAIL
    return message.get_payload(decode=True).decode()


def _sms_code() -> str | None:
    with db.unit_of_work() as s:
        key = s.scalar(select(OutboxMessage.key).where(OutboxMessage.task == "sms.send")
                       .order_by(OutboxMessage.id.desc()).limit(1))
    path = sms.file_for(key) if key else None
    if path is None or not path.exists():
        return None
    message = path.read_text(encoding="utf-8")
    return re.search(r"\b(\d{6})\b", message).group(1) if message.startswith(f"To: {TRUSTEE_MOBILE}\n") else None


def _mandate_id() -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Mandate.id).join(Login, Login.id == Mandate.login_id)
                        .where(Login.email == TRUSTEE_EMAIL))


def _open_access(admin, base: str) -> None:
    admin.get_by_role("link", name="User administration", exact=True).click()
    admin.get_by_role("link", name="Trustees with access", exact=True).click()
    admin.get_by_role("link", name="New trustee or representative", exact=True).click()
    admin.check("#company-new")
    for selector, value in (("#uid", TRUSTEE_UID), ("#company_name", "Fiduciaria Monte SA"),
                            ("#street", "Piazza Grande 3"), ("#postcode", "6600"), ("#town", "Locarno"),
                            ("#name", "Marco Monti"), ("#email", TRUSTEE_EMAIL), ("#mobile", "079 555 00 77")):
        admin.fill(selector, value)
    admin.select_option("#company_language", "it")
    admin.select_option("#language", "en")
    admin.check("#rights-salary_declarations")
    admin.check("#rights-correspondence")
    admin.get_by_role("button", name="Give access").click()
    admin.wait_for_selector(f"text=We have sent an invitation to {TRUSTEE_EMAIL}")
    assert "Once your login is set up, you can act for Weinbau Ticino SA at once" in admin.inner_text("main")


def _register(trustee, body: str) -> str:
    assert "You act for Weinbau Ticino SA as a person at Fiduciaria Monte SA" in body
    trustee.goto(re.search(r"(http://\S+/invitation/\S+)", body).group(1))
    trustee.wait_for_url(re.compile(r"/invitation$"))
    trustee.get_by_role("button", name="Send me a code by SMS").click()
    trustee.fill("#code", poll(_sms_code, 60, "the worker to send the SMS code"))
    trustee.get_by_role("button", name="Continue").click()
    trustee.wait_for_url(re.compile(r"/invitation/password"))
    trustee.fill("#password", TRUSTEE_PASSWORD)
    trustee.fill("#confirm", TRUSTEE_PASSWORD)
    trustee.get_by_role("button", name="Continue").click()
    trustee.wait_for_url(re.compile(r"/invitation/authenticator"))
    app = totp_from_qr(trustee)  # scanned from the screen, as the trustee's phone does
    trustee.fill("#otp", app.at(clock.now()))
    trustee.get_by_role("button", name="Activate my login").click()
    trustee.wait_for_url(re.compile(r"/invitation/done"))
    return str(app.secret)


def _staff_records(page, base: str, enrolment: staff_service.Enrolment, case_id: int) -> None:
    staff_logs_in(page, base, enrolment.username, STAFF_PASSWORD, enrolment.secret)
    page.goto(f"{base}/staff/cases/{case_id}")
    main = page.inner_text("main")
    assert "Fiduciaria Monte SA" in main and "Vera Admin" in main and "vollmacht-monte.pdf" in main
    page.get_by_role("button", name="Record the power of attorney").click()
    page.wait_for_selector("text=Recorded. The member's administrators now see until when we may inform")


def test_r13_r14_situation_3a_trustee_acts_at_once_and_the_fund_may_inform_it_once_its_power_is_recorded(
        pg, tmp_path: Path, web_server, worker_process, browser, clock_file):
    admin_secret = _administrator()
    admin = browser.new_page()
    _log_in(admin, web_server, ADMIN_EMAIL, ADMIN_PASSWORD, admin_secret)
    _open_access(admin, web_server)

    body = poll(_invitation_mail, 60, "the worker to mail the invitation")
    trustee = browser.new_page()  # its own browser context: its own cookies
    trustee_secret = _register(trustee, body)
    assert _trustee_login().status == LoginStatus.ACTIVE

    # R14 way (a): no power of attorney anywhere, and the trustee acts for the member at once.
    with db.unit_of_work() as s:
        assert s.scalar(select(PowerOfAttorney.id).join(Member).where(Member.member_number == NUMBER)) is None
    _log_in(trustee, web_server, TRUSTEE_EMAIL, TRUSTEE_PASSWORD, trustee_secret, steps_ahead=1)
    trustee.goto(f"{web_server}/portal/")
    home = trustee.inner_text("main")
    assert "Weinbau Ticino SA" in home and "Salary declarations" in home and "Correspondence" in home

    # The administrator sends the signed power of attorney from the trustee's page.
    admin.goto(f"{web_server}/portal/admin/trustees/")
    listing = admin.inner_text("main")
    assert "No: no power of attorney recorded" in listing and "No end date: until you revoke it" in listing
    admin.get_by_role("link", name="Marco Monti", exact=True).click()
    pdf = tmp_path / "vollmacht-monte.pdf"
    pdf.write_bytes(pdf_bytes())
    today = clock.today_in_zurich(clock.now())
    until = today + timedelta(days=365)
    admin.set_input_files("#poa-document", str(pdf))
    admin.fill("#poa-valid_from", today.isoformat())  # a date picker: the browser shows it the Swiss way
    admin.fill("#poa-valid_until", until.isoformat())
    admin.get_by_role("button", name="Send the power of attorney").click()
    admin.wait_for_selector("text=Thank you. The fund checks the power of attorney")
    assert f"Waiting for the fund to record the power of attorney you sent on {today.strftime('%d.%m.%Y')}" \
        in admin.inner_text("main")

    # A staff member records it on the desk.
    with db.unit_of_work() as s:
        case_id = s.scalar(select(Case.id).where(Case.kind == "power_of_attorney", Case.status == CaseStatus.OPEN))
        enrolment = staff_service.create(s, username="paolo.clerk", name="Paolo Clerk", email="paolo@fund.example",
                                         role="clerk", password=STAFF_PASSWORD, now=clock.now(), actor="test")
    assert case_id is not None
    desk = browser.new_page()
    _staff_records(desk, web_server, enrolment, case_id)

    # The portal now says the fund may inform this trustee, and until when; the access itself is unchanged.
    admin.goto(f"{web_server}/portal/admin/trustees/")
    listing = admin.inner_text("main")
    assert f"Yes, until {until.strftime('%d.%m.%Y')}" in listing
    assert "No end date: until you revoke it" in listing
    trustee.goto(f"{web_server}/portal/")
    assert "Weinbau Ticino SA" in trustee.inner_text("main")

    # On a phone (375 px) nothing on the trustee pages reaches past the screen's edge (the header is the layout's).
    admin.set_viewport_size({"width": 375, "height": 812})
    for path in ("/portal/admin/trustees/", f"/portal/admin/trustees/{_mandate_id()}"):
        admin.goto(f"{web_server}{path}")
        wide = admin.evaluate("""[...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > 375)
            .map(e => e.tagName + ':' + (e.innerText || e.id || '').slice(0, 40))""")
        assert wide == [], (path, wide)
    for page in (admin, trustee, desk):
        page.close()
