"""Situation 2 end to end: a request over HTTP, the worker's letter, the code read from the PDF, the first
administrator registered in chromium with an authenticator, then a two-step login (R1–R5, R7, R8)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from pypdf import PdfReader
from sqlalchemy import select

from core import db
from core.domain.states import CodeStatus, LetterStatus, LoginStatus
from core.models import Letter, Login, RegistrationCode, Request
from tests.e2e.conftest import poll
from tests.e2e.person import totp_from_qr

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
MEMBER = "member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n" \
         "300001,CHE-100.155.212,Muster AG,,Bahnhofstrasse 1,,3000,Bern,de,info@muster.example\n"
PASSWORD = "Glacier-Orbit-Tulip-42"


def _import_member(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from core.cli import main

    register = tmp_path / "members.csv"
    register.write_text(MEMBER, encoding="utf-8")
    result = CliRunner().invoke(main, ["members", "import", str(register), "--no-invitations"])
    assert result.exit_code == 0, result.output


def _rendered_letter_for(reference: str) -> Letter | None:
    with db.unit_of_work() as s:
        return s.scalar(
            select(Letter).join(RegistrationCode, RegistrationCode.id == Letter.code_id)
            .join(Request, Request.id == RegistrationCode.request_id)
            .where(Request.reference == reference, Letter.status == LetterStatus.RENDERED)
        )


def test_situation_2_request_letter_registration_and_two_step_login(pg, tmp_path, web_server, worker_process,
                                                                     browser):
    _import_member(tmp_path)
    answer = requests.post(f"{web_server}/api/v1/requests", json={
        "kind": "new_code", "member_number": "300001", "uid": "CHE-100.155.212", "company_name": "Muster AG",
        "requester": {"name": "Anna Muster", "role": "HR", "email": "anna@muster.example", "phone": "+41 31 123 45 67"},
        "reason": "Our only administrator has left the company.",
    }, timeout=10)
    assert answer.status_code == 202, answer.text
    reference = answer.json()["reference"]

    letter = poll(lambda: _rendered_letter_for(reference), 60, "the worker to render the code letter")
    text = "\n".join(page.extract_text() for page in PdfReader(letter.pdf_path).pages)
    assert "Muster AG" in text and "3000 Bern" in text  # R1: the address on file
    code = CODE.search(text).group(1)
    assert requests.get(f"{web_server}/api/v1/requests/{reference}", timeout=10).json()["status"] == "received"  # R21

    page = browser.new_page()
    page.goto(f"{web_server}/register?lang=en")
    page.fill("#member_number", "300001")
    page.fill("#code", code.lower())  # R2: read case-insensitively
    page.click("button[type=submit]")
    page.fill("#name", "Anna Muster")
    page.fill("#email", "anna@muster.example")
    page.fill("#mobile", "079 123 45 67")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("button[type=submit]")
    totp = totp_from_qr(page)  # scanned from the screen, as the phone app does
    page.fill("#otp", totp.now())
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/register/done"))

    with db.unit_of_work() as s:
        login = s.scalar(select(Login).where(Login.email == "anna@muster.example"))
        assert login.status == LoginStatus.ACTIVE and "administration" in login.rights
        assert login.mobile == "+41791234567"
        assert s.get(RegistrationCode, letter.code_id).status == CodeStatus.USED

    page.goto(f"{web_server}/login?lang=en")
    page.fill("#member_number", "300001")
    page.fill("#email", "anna@muster.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    # R8: the step used at enrolment is spent; the next step is inside the ±1 window.
    page.fill("#otp", totp.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))
    assert "Muster AG" in page.inner_text("main")
    page.close()

    # R4: the used code opens nothing any more.
    again = browser.new_page()
    again.goto(f"{web_server}/register?lang=en")
    again.fill("#member_number", "300001")
    again.fill("#code", code)
    again.click("button[type=submit]")
    assert "do not match" in again.inner_text("main")
    again.close()
