"""Situation 2 end to end in headless chromium (R5, R17, R21): the company's only administrator has left and
logins of two employees who left still work. The owner asks for a new code and asks the fund to deactivate the
two old logins, by name and by e-mail as the owner knows them; the status reads "received" for both. A clerk
finds the case on the desk, sees the names matched against the member's logins and confirms them; a supervisor
approves; the worker renders the code letter and the confirmation letter to the address on file."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from core import clock, db
from core.cli import main
from core.desk import staff as staff_service
from core.domain.states import LetterStatus, LoginStatus
from core.models import Case, Letter, Login, Member
from tests.e2e.conftest import poll
from tests.e2e.person import staff_logs_in
from tests.integration.registrations_support import add_login

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
MEMBER = ("member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n"
          "300088,CHE-100.155.212,Sägerei Brunner AG,,Dorfstrasse 3,,3600,Thun,de,\n")
STAFF_PASSWORD = "Aare-Ufer im Morgennebel"
COMPANY = {"#member_number": "300088", "#uid": "CHE-100.155.212", "#company_name": "Sägerei Brunner AG",
           "#requester_name": "Urs Brunner", "#requester_role": "Owner", "#requester_email": "urs@brunner.example"}


def _member_with_old_logins(tmp_path: Path) -> int:
    register = tmp_path / "members.csv"
    register.write_text(MEMBER, encoding="utf-8")
    result = CliRunner().invoke(main, ["members", "import", str(register), "--no-invitations"])
    assert result.exit_code == 0, result.output
    with db.unit_of_work() as s:
        member_id = s.execute(select(Member.id).where(Member.member_number == "300088")).scalar_one()
    # The only administrator's login ended with his last working day; two employees who left still have theirs.
    add_login(member_id, "Karl Brunner", ["administration", "correspondence"], status=LoginStatus.DEACTIVATED)
    add_login(member_id, "Maria Bianchi", ["salary_declarations"])
    add_login(member_id, "Paolo Neri", ["correspondence"], email="p.neri@brunner.example")
    add_login(member_id, "Ugo Verdi", ["salary_declarations"], email="ugo@brunner.example")
    return member_id


def _staff(username: str, role: str) -> staff_service.Enrolment:
    with db.unit_of_work() as s:
        return staff_service.create(s, username=username, name=username.replace(".", " ").title(),
                                    email=f"{username}@fund.example", role=role, password=STAFF_PASSWORD,
                                    now=clock.now(), actor="test")


def _staff_login(page, web_server: str, enrolment: staff_service.Enrolment) -> None:
    staff_logs_in(page, web_server, enrolment.username, STAFF_PASSWORD, enrolment.secret)


def _rendered(kind: str) -> Letter | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Letter).where(Letter.kind == kind, Letter.status == LetterStatus.RENDERED))


def _stale_case() -> Case | None:
    with db.unit_of_work() as s:
        return s.scalar(select(Case).where(Case.kind == "stale_logins"))


def _text(letter: Letter) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(letter.pdf_path).pages)


def test_situation_2_new_code_and_old_logins_deactivated_by_the_fund(pg, tmp_path, web_server, worker_process,
                                                                      browser):
    member_id = _member_with_old_logins(tmp_path)
    clerk, supervisor = _staff("anna.clerk", "clerk"), _staff("beat.supervisor", "supervisor")

    person = browser.new_page(viewport={"width": 375, "height": 800})  # the owner uses a phone
    person.goto(f"{web_server}/?lang=en")
    person.click("text=Request a new code")
    for selector, value in COMPANY.items():
        person.fill(selector, value)
    person.fill("#reason", "Our only administrator has left the company.")
    person.click("main button[type=submit]")
    assert "Check your answers" in person.inner_text("main")
    person.click("text=Send request")
    code_reference = person.inner_text(".reference").strip()

    person.goto(f"{web_server}/?lang=en")
    person.click("text=Ask us to deactivate logins of people who have left")
    for selector, value in COMPANY.items():
        person.fill(selector, value)
    person.fill("#login-0-first_name", "Maria")
    person.fill("#login-0-last_name", "Bianchi")
    person.fill("#login-1-email", "p.neri@brunner.example")
    person.fill("#reason", "Both have left the company.")
    assert person.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    person.click("text=Send the request")
    assert "deactivates the logins you listed" in person.inner_text("main")
    logins_reference = person.inner_text(".reference").strip()
    person.click("text=See where your request stands")
    assert "Received – being processed" in person.inner_text("main")

    code_letter = poll(lambda: _rendered("new_code"), 60, "the worker to render the code letter")
    assert CODE.search(_text(code_letter)) and "3600 Thun" in _text(code_letter)  # R1: the address on file
    poll(_stale_case, 60, "the worker to open the R17 case")
    for reference in (code_reference, logins_reference):  # R21: nothing tells the outsider what matched
        person.goto(f"{web_server}/requests/{reference}?lang=en")
        assert "Received – being processed" in person.inner_text("main")
    person.close()

    desk = browser.new_page()
    _staff_login(desk, web_server, clerk)
    desk.click("text=Cases")
    desk.fill("#q", "300088")  # the search field takes the member number
    desk.select_option("#kind", "stale_logins")
    desk.click("text=Apply filters")
    desk.click("main table a")
    text = desk.inner_text("main")
    assert "Maria Bianchi – matches: Maria Bianchi" in text, text
    assert "p.neri@brunner.example – matches: Paolo Neri" in text
    assert desk.is_checked("label:has-text('Maria Bianchi') >> xpath=preceding-sibling::input")
    assert not desk.is_checked("label:has-text('Ugo Verdi') >> xpath=preceding-sibling::input")
    desk.click("text=Confirm these logins")
    assert "Another staff member now approves the case" in desk.inner_text("main")
    case_url = desk.url
    desk.close()

    approving = browser.new_page()
    _staff_login(approving, web_server, supervisor)
    approving.goto(case_url)
    approving.click("text=Approve and deactivate the logins")
    assert "The logins are deactivated" in approving.inner_text("main")
    approving.close()

    with db.unit_of_work() as s:
        states = dict(s.execute(select(Login.name, Login.status).where(Login.member_id == member_id)).all())
    assert states == {"Karl Brunner": LoginStatus.DEACTIVATED, "Maria Bianchi": LoginStatus.DEACTIVATED,
                      "Paolo Neri": LoginStatus.DEACTIVATED, "Ugo Verdi": LoginStatus.ACTIVE}
    confirmation = _text(poll(lambda: _rendered("logins_deactivated"), 60, "the confirmation letter"))
    assert "Maria Bianchi, Paolo Neri" in confirmation and "3600 Thun" in confirmation, confirmation
    assert not CODE.search(confirmation)


MEMBER_FR = ("member_number,uid,name,care_of,street,po_box,postcode,town,language,email\n"
             "300099,CHE-109.322.551,Boulangerie Rochat SA,,Rue du Lac 4,,1003,Lausanne,fr,\n")
COMPANY_FR = {"#member_number": "300099", "#uid": "CHE-109.322.551", "#company_name": "Boulangerie Rochat SA",
              "#requester_name": "Claire Rochat", "#requester_role": "Directrice",
              "#requester_email": "claire@rochat.example"}
REASON = "Les personnes nommées ont encore un login utilisé pour les décomptes de salaires ce mois-ci."


def test_r17_a_rejected_request_reaches_the_member_by_letter_in_french_with_the_reason(
        pg, tmp_path, web_server, worker_process, browser):
    """R17, R1, R6: the owner asks in French on a phone; the supervisor, working in French, rejects with a reason;
    the page says exactly who is told, and the letter to the address on file carries the reason in French."""
    register = tmp_path / "members.csv"
    register.write_text(MEMBER_FR, encoding="utf-8")
    assert CliRunner().invoke(main, ["members", "import", str(register), "--no-invitations"]).exit_code == 0
    with db.unit_of_work() as s:
        member_id = s.execute(select(Member.id).where(Member.member_number == "300099")).scalar_one()
    add_login(member_id, "Luc Favre", ["salary_declarations"], email="luc@rochat.example")
    supervisor = _staff("chantal.supervisor", "supervisor")

    person = browser.new_page(viewport={"width": 375, "height": 800})
    person.goto(f"{web_server}/requests/old-logins?lang=fr")
    for selector, value in COMPANY_FR.items():
        person.fill(selector, value)
    person.fill("#login-0-first_name", "Luc")
    person.fill("#login-0-last_name", "Favre")
    person.fill("#reason", "Il a quitté l'entreprise.")
    person.get_by_role("button", name="Envoyer la demande").click()
    assert person.inner_text(".reference").strip().startswith("R-")
    person.close()
    case = poll(_stale_case, 60, "the worker to open the R17 case")

    desk = browser.new_page()
    staff_logs_in(desk, web_server, supervisor.username, STAFF_PASSWORD, supervisor.secret, lang="fr")
    desk.goto(f"{web_server}/staff/cases/{case.id}?lang=fr")
    assert "Luc Favre" in desk.inner_text("main")
    desk.fill("#reject-reason", REASON)
    desk.get_by_role("button", name="Refuser la demande").click()
    said = desk.inner_text("main")
    assert "Refusé." in said and "Une lettre avec votre motif part par la poste" in said, said
    desk.close()

    letter = _text(poll(lambda: _rendered("request_rejected"), 60, "the worker to render the rejection letter"))
    flat = " ".join(letter.split())
    assert "1003 Lausanne" in flat and "Luc Favre" in flat and " ".join(REASON.split()) in flat, letter
    assert "Motif" in flat and "Les logins restent tels quels." in flat  # in the member's language (R6)
    assert not CODE.search(letter)
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.status).where(Login.name == "Luc Favre")) == LoginStatus.ACTIVE
