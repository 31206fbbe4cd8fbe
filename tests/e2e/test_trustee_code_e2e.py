"""Situation 3 (b) end to end in headless chromium with the real worker: the member's written request with the
power of attorney (PDF), staff approval, the letter to the trustee's address naming the member (R1, R15), the
trustee registering with the code and acting for the member (R13), then the power of attorney ending and the
access stopping with it (R14)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from core import clock, db
from core.cli import main
from core.desk import staff as staff_service
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, LoginStatus
from core.models import Case, Letter, Login, Mandate, RegistrationCode
from tests.e2e.conftest import poll
from tests.e2e.person import staff_logs_in, totp_from_qr
from tests.integration.trustee_code_support import pdf_bytes

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
MEMBER = ("member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n"
          "300088,CHE-100.155.212,Schreinerei Brunner AG,,Bahnhofstrasse 12,,3000,Bern,de,\n")
STAFF_PASSWORD = "Aare-Ufer im Morgennebel"
PASSWORD = "Walnut-Harbour-Meteor-58"
POA_DAYS = 10


def _import(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(MEMBER, encoding="utf-8")
    result = CliRunner().invoke(main, ["members", "import", str(path), "--no-invitations"])
    assert result.exit_code == 0, result.output


def _request(page, web_server: str, pdf: Path) -> str:
    page.goto(f"{web_server}/requests/trustee-code?lang=en")
    for selector, value in (("#member_number", "300088"), ("#uid", "CHE-100.155.212"),
                            ("#company_name", "Schreinerei Brunner AG"), ("#requester_name", "Rita Brunner"),
                            ("#requester_role", "Owner"), ("#requester_email", "rita@brunner.example"),
                            ("#reason", "Our administrator has left; our trustee does our payroll."),
                            ("#trustee_name", "Treuhand Sonnenberg GmbH"), ("#trustee_uid", "CHE-109.322.551"),
                            ("#trustee_po_box", "Postfach 44"), ("#trustee_postcode", "6003"),
                            ("#trustee_town", "Luzern"), ("#contact_name", "Tom Sonnenberg"),
                            ("#contact_email", "tom@sonnenberg.example")):
        page.fill(selector, value)
    page.select_option("#trustee_language", "fr")
    page.set_input_files("#power_of_attorney", str(pdf))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/trustee-code-received"))
    return page.inner_text(".reference").strip()


def _staff_approves(page, web_server: str, enrolment: staff_service.Enrolment, case_id: int) -> None:
    staff_logs_in(page, web_server, enrolment.username, STAFF_PASSWORD, enrolment.secret)
    page.goto(f"{web_server}/staff/cases/{case_id}")
    assert "Treuhand Sonnenberg GmbH" in page.inner_text("main")
    until = clock.today_in_zurich(clock.now()) + timedelta(days=POA_DAYS)
    page.check("#trustee_code-scope-salary_declarations")
    page.check("#trustee_code-scope-correspondence")
    page.fill("#trustee_code-valid_until", until.isoformat())
    page.click("text=Approve and send the code to the trustee")
    page.wait_for_url(re.compile(rf"/staff/cases/{case_id}$"))
    assert "Approved" in page.inner_text("main")


def _trustee_letter() -> Letter | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Letter).where(Letter.kind == "trustee_code", Letter.status == LetterStatus.RENDERED))


def _register(page, web_server: str, code: str) -> pyotp.TOTP:
    page.goto(f"{web_server}/register?lang=en")
    page.fill("#member_number", "300088")
    page.fill("#code", code)
    page.click("main button[type=submit]")
    assert "Schreinerei Brunner AG" in page.inner_text("main")  # the page says whom the login acts for
    page.fill("#name", "Tom Sonnenberg")
    page.fill("#email", "tom@sonnenberg.example")
    page.fill("#mobile", "079 555 66 77")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    totp = totp_from_qr(page)  # scanned from the screen, as the phone app does
    page.fill("#otp", totp.now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/register/done"))
    return totp


def _log_in(page, web_server: str, totp: pyotp.TOTP, steps_ahead: int) -> None:
    page.goto(f"{web_server}/login?lang=en")
    page.fill("#member_number", "300088")
    page.fill("#email", "tom@sonnenberg.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#otp", totp.at(clock.now() + timedelta(seconds=30 * steps_ahead)))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))


def test_r15_request_approval_letter_to_trustee_registration_and_access_ending_with_the_power(
        pg, tmp_path, web_server, worker_process, browser, clock_file):
    _import(tmp_path)
    pdf = tmp_path / "vollmacht.pdf"
    pdf.write_bytes(pdf_bytes())
    page = browser.new_page()
    reference = _request(page, web_server, pdf)
    assert reference.startswith("R-")

    def case_id() -> int | None:
        with db.unit_of_work() as s:
            return s.scalar(select(Case.id).where(Case.kind == "trustee_code", Case.status == CaseStatus.OPEN))

    opened = poll(case_id, 60, "the worker to open the staff case")
    with db.unit_of_work() as s:
        enrolment = staff_service.create(s, username="clara.clerk", name="Clara Clerk", email="clara@fund.example",
                                         role="clerk", password=STAFF_PASSWORD, now=clock.now(), actor="test")
    _staff_approves(page, web_server, enrolment, opened)

    letter = poll(_trustee_letter, 60, "the worker to render the trustee's letter")
    text = "\n".join(p.extract_text() for p in PdfReader(letter.pdf_path).pages)
    assert "Treuhand Sonnenberg GmbH" in text and "Postfach 44" in text and "6003 Luzern" in text  # R1/R15
    assert "Bahnhofstrasse 12" not in text  # not the member's own address
    assert "Schreinerei Brunner AG" in text and "300088" in text and "procuration" in text  # named, in French
    code = CODE.search(text).group(1)

    trustee_page = browser.new_page()
    totp = _register(trustee_page, web_server, code)
    with db.unit_of_work() as s:
        login = s.scalar(select(Login).where(Login.email == "tom@sonnenberg.example"))
        assert login.trustee_id is not None and login.member_id is None and login.status == LoginStatus.ACTIVE
        assert s.scalar(select(Mandate.rights).where(Mandate.login_id == login.id)) == [
            "salary_declarations", "correspondence"]
        assert s.get(RegistrationCode, letter.code_id).status == CodeStatus.USED
    _log_in(trustee_page, web_server, totp, steps_ahead=1)
    assert "Schreinerei Brunner AG" in trustee_page.inner_text("main")  # R13: acting for the member

    # R14: the day after the power's last day, the access stops on the next request, without any job.
    try:
        clock.set_offset(timedelta(days=POA_DAYS + 1, hours=1).total_seconds())
        trustee_page.goto(f"{web_server}/portal/")
        if "/login" in trustee_page.url:  # the session itself may have run out meanwhile: sign in again
            _log_in(trustee_page, web_server, totp, steps_ahead=0)
        body = trustee_page.inner_text("main")
        assert "You cannot act for any company at the moment." in body
        assert "Schreinerei Brunner AG" not in body
    finally:
        clock.set_offset(0)
    trustee_page.close()
    page.close()


def test_a_file_over_the_limit_is_named_before_sending_and_nothing_typed_is_lost(pg, web_server, browser):
    """R23 in the browser: an 11 MB file is caught on the phone before its upload; the form keeps every answer."""
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(f"{web_server}/requests/trustee-code?lang=fr")
    page.fill("#member_number", "300088")
    page.fill("#trustee_name", "Treuhand Sonnenberg GmbH")
    page.set_input_files("#power_of_attorney", files=[{"name": "vollmacht.pdf", "mimeType": "application/pdf",
                                                       "buffer": b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)}])
    assert page.is_visible("#power_of_attorney-too-large")
    assert "Le fichier dépasse 10 Mo" in page.inner_text("#power_of_attorney-too-large")
    page.click("main button[type=submit]")
    assert page.url.endswith("/requests/trustee-code?lang=fr")  # nothing was sent
    assert page.input_value("#member_number") == "300088"
    assert page.input_value("#trustee_name") == "Treuhand Sonnenberg GmbH"
    page.set_input_files("#power_of_attorney", files=[{"name": "vollmacht.pdf", "mimeType": "application/pdf",
                                                       "buffer": pdf_bytes()}])
    assert not page.is_visible("#power_of_attorney-too-large")
    page.close()
