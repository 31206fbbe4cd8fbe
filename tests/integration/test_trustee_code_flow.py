"""Situation 3 (b) on real PostgreSQL: the member's written request for a code sent to its trustee, with the
power of attorney (R15); bad input stores nothing; staff approval records the power (R14) and sends the code to
the trustee's address (R1), in the trustee's language, naming the member; the trustee registers with it (R13)."""

from __future__ import annotations

import base64
import html
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from core import clock, config, db
from core.codes import letters
from core.desk import requests
from core.domain import codes
from core.domain.states import CaseStatus, LoginStatus, RequestStatus
from core.models import (
    AuditEvent,
    Case,
    Document,
    Letter,
    Login,
    Mandate,
    Member,
    OutboxMessage,
    PowerOfAttorney,
    RegistrationCode,
    Request,
    Trustee,
)
from tests.integration import requests_support, staff_support
from tests.integration.trustee_code_support import FORM, api_body, pdf_bytes

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


@pytest.fixture
def app(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERS_DIR", str(tmp_path / "letters"))
    config.reset()
    from web import create_app

    yield create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})
    monkeypatch.undo()
    config.reset()


@pytest.fixture
def client(app):
    return staff_support.english_client(app)


def count(model: type) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def member(with_administrator: bool = False) -> int:
    with db.unit_of_work() as s:
        found = requests_support.add_member(s, name="Muster AG", language="de")
        if with_administrator:
            requests_support.add_login(s, found, "admin@muster.example")
        return found.id


def post_form(client, pdf: bytes | None = None, filename: str = "vollmacht.pdf", **changes: str):
    data: dict[str, object] = {**FORM, **changes}
    if pdf is not None:
        data["power_of_attorney"] = (io.BytesIO(pdf), filename)
    return client.post("/requests/trustee-code", data=data, content_type="multipart/form-data")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def nothing_stored() -> bool:
    return count(Request) == 0 and count(Document) == 0 and count(OutboxMessage) == 0


def test_r15_the_public_form_stores_request_document_and_decision_in_one_go(client):
    member()
    page = client.get("/requests/trustee-code")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in text(page)
    sent = post_form(client, pdf_bytes())
    assert sent.status_code == 303
    received = client.get(sent.headers["Location"])
    assert received.status_code == 200 and "Request received" in text(received)
    with db.unit_of_work() as s:
        request = s.scalar(select(Request))
        assert request.kind == "trustee_code" and request.status == RequestStatus.RECEIVED
        assert request.details["trustee_uid"] == "CHE-109.322.551" and request.details["trustee_language"] == "it"
        document = s.get(Document, request.document_id)
        assert document.kind == "power_of_attorney" and document.filename == "vollmacht.pdf"
        assert s.scalar(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.task == "requests.decide")) == 1
        request_id = request.id
    assert requests_support.decide(request_id) == requests.Outcome.STAFF_CASE
    with db.unit_of_work() as s:
        case = s.scalar(select(Case).where(Case.request_id == request_id))
        assert case.kind == "trustee_code" and case.status == CaseStatus.OPEN and case.document_id == document.id
        assert s.get(Request, request_id).status == RequestStatus.IN_REVIEW


@pytest.mark.parametrize(("pdf", "filename", "expected"), [
    (b"GIF89a not a pdf at all", "vollmacht.pdf", "the file is not a PDF"),
    (b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024), "big.pdf", "larger than 10 MB"),
    (b"%PDF-1.7\nbroken", "broken.pdf", "not a readable PDF"),
    (None, "", "Attach the signed power of attorney as a PDF"),
])
def test_r15_a_file_that_is_not_a_pdf_or_too_large_is_refused_and_nothing_is_stored(client, pdf, filename,
                                                                                     expected):
    member()
    answer = post_form(client, pdf, filename)
    assert answer.status_code == 422 and expected in text(answer)
    assert 'href="#power_of_attorney"' in text(answer)  # the error summary links to the field
    assert nothing_stored()


def test_r19_a_trustee_uid_failing_its_check_digit_is_refused_and_nothing_is_stored(client):
    member()
    answer = post_form(client, pdf_bytes(), trustee_uid="CHE-123.456.789")
    assert answer.status_code == 422 and "fails its check" in text(answer)
    assert nothing_stored()


def test_r21_with_an_active_administrator_the_request_is_accepted_like_any_and_the_administrators_are_told(client):
    """The answer must not tell whoever typed the member number and UID that the member has administrators: the
    request is accepted, and the decision (way (a), R15) e-mails the administrators, not the requester."""
    member(with_administrator=True)
    answer = post_form(client, pdf_bytes())
    assert answer.status_code == 303 and count(Request) == 1
    with db.unit_of_work() as s:
        request_id, stored_reference = s.execute(select(Request.id, Request.reference)).one()
    assert requests_support.decide(request_id) == requests.Outcome.WAY_A
    with db.unit_of_work() as s:
        mails = {(row.args["to"], row.key.split(":")[1], row.args["subject"]) for row in s.scalars(
            select(OutboxMessage).where(OutboxMessage.task == "mail.send"))}
    assert mails == {("anna@example.ch", "request-received",
                      f"Your request {stored_reference} for a connect code sent to your trustee"),
                     ("admin@muster.example", "request-admins",
                      "connect: Zugang für Ihren Treuhänder Treuhand Beispiel GmbH beantragt")}
    assert count(Case) == 0


def test_r5_a_wrong_uid_gets_no_answer_about_the_members_logins(client):
    member(with_administrator=True)
    answer = post_form(client, pdf_bytes(), uid="CHE-116.281.710")  # valid UID, not this member's
    assert answer.status_code == 303 and count(Request) == 1


def test_r15_the_api_takes_the_pdf_as_base64_and_refuses_bad_input_clearly(client):
    member()
    assert client.post("/api/v1/requests", json=api_body(pdf=b"not a pdf")).status_code == 422
    too_big = client.post("/api/v1/requests", json=api_body(pdf=b"%PDF-" + b"0" * (10 * 1024 * 1024)))
    assert too_big.status_code == 413 and "10 MB" in too_big.get_json()["message"]
    bad_uid = client.post("/api/v1/requests", json=api_body(trustee={**api_body()["trustee"],
                                                                      "uid": "CHE-123.456.789"}))
    assert bad_uid.status_code == 422 and set(bad_uid.get_json()["fields"]) == {"trustee.uid"}
    not_base64 = client.post("/api/v1/requests", json=api_body(power_of_attorney={"content_base64": "%%%"}))
    assert not_base64.status_code == 422 and "power_of_attorney" in not_base64.get_json()["fields"]
    assert nothing_stored()
    accepted = client.post("/api/v1/requests", json=api_body())
    assert accepted.status_code == 202 and accepted.get_json()["status"] == "received"
    with db.unit_of_work() as s:
        stored = s.scalar(select(Request))
        assert stored.kind == "trustee_code" and stored.document_id is not None
        assert stored.details["contact_name"] == "Tina Treu"
    status = client.get(accepted.headers["Location"]).get_json()
    assert status["kind"] == "trustee_code" and status["status"] == "received"


def test_r21_the_api_accepts_a_trustee_code_request_whether_or_not_an_administrator_is_active(client):
    member(with_administrator=True)
    answer = client.post("/api/v1/requests", json=api_body())
    assert answer.status_code == 202 and answer.get_json()["status"] == "received"


def test_r15_an_administrator_registered_before_the_decision_ends_the_request_with_way_a(client):
    member_id = member()
    assert post_form(client, pdf_bytes()).status_code == 303
    with db.unit_of_work() as s:
        requests_support.add_login(s, s.get(Member, member_id), "new.admin@muster.example")
        request_id = s.scalar(select(Request.id))
    assert requests_support.decide(request_id) == requests.Outcome.WAY_A
    with db.unit_of_work() as s:
        assert s.get(Request, request_id).outcome == "administrator_can_help" and count(Case) == 0


def _open_case(client) -> int:
    assert post_form(client, pdf_bytes()).status_code == 303
    with db.unit_of_work() as s:
        request_id = s.scalar(select(Request.id))
    requests_support.decide(request_id)
    with db.unit_of_work() as s:
        return s.scalar(select(Case.id).where(Case.request_id == request_id))


def _staff_client(case_id: int):
    """A staff member logged in with CSRF protection on, as in production."""
    staff = staff_support.english_client(staff_support.make_app())
    staff_support.log_in(staff, staff_support.create_staff())
    return staff


def _approve(client, case_id: int, **changes: str):
    today = clock.today_in_zurich(clock.now())
    token = staff_support.csrf(client.get(f"/staff/cases/{case_id}").data)
    data = {"trustee_code-csrf_token": token,
            "trustee_code-trustee_uid": "CHE-109.322.551", "trustee_code-trustee_name": "Treuhand Beispiel GmbH",
            "trustee_code-trustee_street": "Seestrasse 8", "trustee_code-trustee_postcode": "8001",
            "trustee_code-trustee_town": "Zürich", "trustee_code-trustee_language": "it",
            "trustee_code-contact_email": "tina@treuhand.example",
            "trustee_code-scope": ["salary_declarations", "correspondence"],
            "trustee_code-valid_from": (today - timedelta(days=3)).isoformat(),
            "trustee_code-valid_until": (today + timedelta(days=90)).isoformat(),
            "trustee_code-received_on": today.isoformat(), "trustee_code-note": "POA checked", **changes}
    return client.post(f"/staff/cases/{case_id}/trustee-code/approve", data=data)


def test_r15_r14_r1_staff_approval_records_the_power_and_sends_the_code_to_the_trustee(app, client):
    member_id = member()
    case_id = _open_case(client)
    staff = _staff_client(case_id)
    page = text(staff.get(f"/staff/cases/{case_id}"))
    assert "Treuhand Beispiel GmbH" in page and "vollmacht.pdf" in page and "does not know this company" in page
    with db.unit_of_work() as s:
        document_path = f"/staff/documents/{s.get_one(Case, case_id).document_id}"
    assert client.get(document_path).status_code in (302, 303, 401)
    document = staff.get(document_path)
    assert document.status_code == 200 and document.data.startswith(b"%PDF-")
    refused = _approve(staff, case_id, **{"trustee_code-valid_from": "", "trustee_code-trustee_uid": ""})
    assert refused.status_code == 422 and count(PowerOfAttorney) == 0
    approved = _approve(staff, case_id)
    assert approved.status_code == 303, text(approved)[:3000]
    with db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert case.status == CaseStatus.APPROVED and s.get(Request, case.request_id).status == RequestStatus.COMPLETED
        trustee = s.scalar(select(Trustee))
        poa = s.scalar(select(PowerOfAttorney))
        assert poa.member_id == member_id and poa.trustee_id == trustee.id and poa.document_id == case.document_id
        assert poa.scope == ["salary_declarations", "correspondence"]
        letter = s.scalar(select(Letter).where(Letter.trustee_id == trustee.id))
        code = s.get(RegistrationCode, letter.code_id)
        assert letter.kind == "trustee_code" and letter.language == "it" and letter.member_id == member_id
        assert letter.address == ["Treuhand Beispiel GmbH", "Seestrasse 8", "8001 Zürich"]
        assert code.trustee_id == trustee.id and code.member_id == member_id
        actions = set(s.scalars(select(AuditEvent.action)))
        assert {"power_of_attorney.recorded", "code.issued", "case.approved", "trustee_created"} <= actions
        letter_id = letter.id
    with db.unit_of_work() as s:
        letters.render_letters(s, [letter_id], clock.now())
    with db.unit_of_work() as s:
        letter = s.get(Letter, letter_id)
        printed = "\n".join(p.extract_text() for p in PdfReader(letter.pdf_path).pages)
    assert "Muster AG" in printed and "100234" in printed and "Seestrasse 8" in printed and "8001 Zürich" in printed
    assert "Bahnhofstrasse 1" not in printed  # the member's own address is not the recipient
    assert "procura" in printed and "Gentili Signore" in printed  # the trustee's language
    code_text = CODE.findall(printed)
    assert len(code_text) == 1 and code_text[0] not in page
    with db.unit_of_work() as s:
        secret = config.get().code_hmac_secret
        stored = s.scalar(select(RegistrationCode.code_hash).where(RegistrationCode.trustee_id.is_not(None)))
        assert stored == codes.keyed_hash(secret, "100234", codes.read(code_text[0]))
    _register_as_trustee(app, code_text[0], member_id)


def _register_as_trustee(app, code: str, member_id: int) -> None:
    from tests.integration.test_registration_flow import current_step, otp_at_step, shown_secret

    trustee_client = staff_support.english_client(app)
    assert trustee_client.post("/register", data={"member_number": "100234", "code": code}).status_code == 303
    details = {"name": "Tina Treu", "email": "tina@treuhand.example", "mobile": "079 123 45 67",
               "password": "Seeufer im Abendlicht", "confirm": "Seeufer im Abendlicht", "language": "it"}
    assert trustee_client.post("/register/details", data=details).status_code == 303
    secret = shown_secret(text(trustee_client.get("/register/authenticator")))
    done = trustee_client.post("/register/authenticator", data={"otp": otp_at_step(secret, current_step())})
    assert done.status_code == 303
    with db.unit_of_work() as s:
        login = s.scalar(select(Login).where(Login.email == "tina@treuhand.example"))
        assert login.trustee_id is not None and login.member_id is None and login.status == LoginStatus.ACTIVE
        mandate = s.scalar(select(Mandate).where(Mandate.login_id == login.id))
        assert mandate.member_id == member_id and mandate.rights == ["salary_declarations", "correspondence"]


def test_r15_staff_cannot_approve_while_the_member_has_an_active_administrator(client):
    member_id = member()
    case_id = _open_case(client)
    with db.unit_of_work() as s:
        requests_support.add_login(s, s.get(Member, member_id), "late.admin@muster.example")
    answer = _approve(_staff_client(case_id), case_id)
    assert answer.status_code == 409 and "way (a)" in text(answer)
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.OPEN and count(PowerOfAttorney) == 0 and count(Letter) == 0


def test_r14_a_power_that_is_not_current_today_cannot_carry_a_code(client):
    member()
    case_id = _open_case(client)
    today = clock.today_in_zurich(clock.now())
    ended = {"trustee_code-valid_from": (today - timedelta(days=60)).isoformat(),
             "trustee_code-valid_until": (today - timedelta(days=1)).isoformat()}
    answer = _approve(_staff_client(case_id), case_id, **ended)
    assert answer.status_code == 409 and "not current" in text(answer)
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.OPEN and count(PowerOfAttorney) == 0 and count(Letter) == 0


def test_base64_helper_round_trips():
    assert base64.b64decode(api_body()["power_of_attorney"]["content_base64"]).startswith(b"%PDF-")


@pytest.mark.parametrize(("lang", "heading", "label"), [
    ("de", "Code direkt an Ihren Treuhänder senden lassen", "Kontaktperson beim Treuhänder"),
    ("fr", "Demander l'envoi d'un code à votre fiduciaire", "Personne de contact chez la fiduciaire"),
    ("it", "Chiedere l'invio di un codice al suo fiduciario", "Persona di contatto presso il fiduciario"),
])
def test_the_form_speaks_the_members_language(client, lang, heading, label):
    page = text(client.get(f"/requests/trustee-code?lang={lang}"))
    assert heading in page and label in page


def test_the_public_home_and_the_trustee_help_page_link_to_the_form(client):
    assert "/requests/trustee-code" in text(client.get("/?lang=en"))
    assert "/requests/trustee-code" in text(client.get("/help/trustee?lang=en"))


def test_a_body_beyond_the_upload_limit_gets_a_clear_page_not_a_crash(client):
    member()
    answer = post_form(client, b"%PDF-1.7\n" + b"0" * (13 * 1024 * 1024), "huge.pdf")
    assert answer.status_code == 413 and "larger than 10 MB" in text(answer)
    assert nothing_stored()


def test_a_good_file_with_a_bad_field_asks_for_the_file_again(client):
    member()
    answer = post_form(client, pdf_bytes(), trustee_postcode="12")
    assert answer.status_code == 422 and "attach the power of attorney again" in text(answer)
    assert nothing_stored()


def test_with_csrf_on_a_body_beyond_the_limit_still_gets_the_form_with_the_reason(pg):
    """CSRF protection reads the body before the view; the refusal must still be the form, not a bare 413."""
    from web import create_app

    strict = create_app({"TESTING": True, "RATELIMIT_INTAKE": "1000 per minute"}).test_client()
    member()
    answer = post_form(strict, b"%PDF-1.7\n" + b"0" * (13 * 1024 * 1024), "huge.pdf", csrf_token="x")
    page = text(answer)
    assert answer.status_code == 413 and "10 MB" in page and 'action="/requests/trustee-code"' in page
    assert nothing_stored()
    elsewhere = strict.post("/support?lang=en", data={"message": "x" * (13 * 1024 * 1024)})
    assert elsewhere.status_code == 413 and "What you sent is too large" in text(elsewhere)
    staff_side = strict.post("/staff/mailroom?lang=en", data={"reference": "x" * (13 * 1024 * 1024)})
    assert staff_side.status_code == 413 and "What you sent is too large" in text(staff_side)
