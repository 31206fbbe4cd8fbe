"""R16 end to end in headless chromium: a clerk records the member's official letter (scanned PDF, signers from
the register, the person and the rights), a supervisor approves it, the worker renders the code letter to the
address on file, the person registers the prepared login with the code read from the PDF and signs in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from core import clock, db
from core.cli import main
from core.desk import staff as staff_service
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, LoginStatus
from core.models import Case, Letter, Login, RegistrationCode
from tests.e2e.conftest import poll
from tests.e2e.person import staff_logs_in, totp_from_qr
from tests.integration.registrations_support import pdf_bytes

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
MEMBER = ("member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n"
          "300077,CHE-100.155.212,Holzbau Keller AG,,Seestrasse 9,,8002,Zürich,de,\n")
SIGNATORIES = ("member_number,name,function,authority,valid_from,valid_until,extract_date\n"
               "300077,Hans Keller,Präsident des Verwaltungsrates,collective_two,2019-05-01,,2026-01-05\n"
               "300077,Eva Keller,Mitglied des Verwaltungsrates,collective_two,2019-05-01,,2026-01-05\n")
STAFF_PASSWORD = "Aare-Ufer im Morgennebel"
PASSWORD = "Larch-Meadow-Comet-77"


def _import(tmp_path: Path) -> None:
    for group, content, options in (("members", MEMBER, ["--no-invitations"]), ("signatories", SIGNATORIES, [])):
        path = tmp_path / f"{group}.csv"
        path.write_text(content, encoding="utf-8")
        result = CliRunner().invoke(main, [group, "import", str(path), *options])
        assert result.exit_code == 0, result.output


def _staff(username: str, role: str) -> staff_service.Enrolment:
    with db.unit_of_work() as s:
        return staff_service.create(s, username=username, name=username.replace(".", " ").title(),
                                    email=f"{username}@fund.example", role=role, password=STAFF_PASSWORD,
                                    now=clock.now(), actor="test")


def _staff_login(page, web_server: str, enrolment: staff_service.Enrolment) -> None:
    staff_logs_in(page, web_server, enrolment.username, STAFF_PASSWORD, enrolment.secret)


def _rendered_letter() -> Letter | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Letter).where(Letter.kind == "exceptional_login",
                                             Letter.status == LetterStatus.RENDERED))


def test_r16_official_letter_to_first_sign_in(pg, tmp_path, web_server, worker_process, browser):
    _import(tmp_path)
    clerk, supervisor = _staff("anna.clerk", "clerk"), _staff("beat.supervisor", "supervisor")
    scan = tmp_path / "official-letter.pdf"
    scan.write_bytes(pdf_bytes())
    letter_date = clock.today_in_zurich(clock.now()) - timedelta(days=3)

    recording = browser.new_page()
    _staff_login(recording, web_server, clerk)
    recording.click("text=Signatories and registrations")
    recording.fill("#member", "300077")
    recording.click("main button[type=submit]")
    recording.click("text=Record an official letter asking for a login")
    recording.set_input_files("#letter", str(scan))
    recording.fill("#letter_date", letter_date.isoformat())
    recording.check("label:has-text('Hans Keller')")
    recording.check("label:has-text('Eva Keller')")
    recording.fill("#name", "Lea Schmid")
    recording.fill("#email", "lea.schmid@keller.example")
    recording.fill("#mobile", "079 555 12 34")
    recording.select_option("#language", "en")
    recording.check("#rights-salary_declarations")
    recording.check("#rights-correspondence")
    recording.click("main button[type=submit]")
    assert "Case 1 recorded" in recording.inner_text("main")
    recording.click("text=Open the case")
    assert "You recorded this case; another staff member must approve it." in recording.inner_text("main")
    recording.close()

    approving = browser.new_page()
    _staff_login(approving, web_server, supervisor)
    approving.goto(f"{web_server}/staff/cases/1?lang=en")
    text = approving.inner_text("main")
    assert "sign together (collective signature by two)." in text, text
    assert "Hans Keller" in text and "Eva Keller" in text
    approving.click("text=Approve and send the code letter")
    approving.wait_for_url(re.compile(r"/staff/cases/1$"))
    assert "The login is prepared" in approving.inner_text("main")
    approving.close()
    with db.unit_of_work() as s:
        assert s.get_one(Case, 1).status == CaseStatus.APPROVED

    letter = poll(_rendered_letter, 60, "the worker to render the code letter")
    printed = "\n".join(page.extract_text() for page in PdfReader(letter.pdf_path).pages)
    assert "Holzbau Keller AG" in printed and "8002 Zürich" in printed  # R1: the address on file, not the person
    assert "Lea Schmid" not in printed
    code = CODE.search(printed).group(1)

    page = browser.new_context(locale="de-CH", viewport={"width": 375, "height": 740}).new_page()  # on her phone
    page.goto(f"{web_server}/register")
    page.fill("#member_number", "300077")
    page.fill("#code", code)
    page.click("main button[type=submit]")
    details = page.inner_text("main")
    assert "Lea Schmid" in details and "lea.schmid@keller.example" in details  # preset by staff, not typed
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    totp = totp_from_qr(page)  # scanned from the screen, as the phone app does
    page.fill("#otp", totp.now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/register/done"))
    with db.unit_of_work() as s:
        login = s.scalars(select(Login).where(Login.email == "lea.schmid@keller.example")).one()
        assert (login.status, login.rights, login.mobile) == (
            LoginStatus.ACTIVE, ["salary_declarations", "correspondence"], "+41795551234")
        assert s.get_one(RegistrationCode, letter.code_id).status == CodeStatus.USED

    page.goto(f"{web_server}/login")
    page.fill("#member_number", "300077")
    page.fill("#email", "lea.schmid@keller.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#otp", totp.at(datetime.now(UTC) + timedelta(seconds=30)))  # R8: the enrolment step is spent
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))
    assert "Holzbau Keller AG" in page.inner_text("main")
    page.close()
