"""Returned mail: a scanned reference marks the letter returned, voids its code and opens a case; staff correct
the address on file and send a new code letter to it, or close the case (R1, R2, R18)."""

from __future__ import annotations

import html
from datetime import date

import pytest
from registrations_support import add_signatory, pdf_bytes
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, hidden_fields, log_in, make_app, make_member

from core import clock, db
from core.codes import codes, returned_mail
from core.desk import desk, exceptional
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, LoginStatus
from core.models import AuditEvent, Case, History, Letter, Login, Member, RegistrationCode


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def staff(pg):
    return create_staff("paul.post", "Paul Post")


@pytest.fixture
def client(app, staff):
    client = english_client(app)
    log_in(client, staff)
    return client


def _sent_letter(status: str = LetterStatus.PRINTED) -> tuple[int, str]:
    member_id = make_member("500100")
    with db.unit_of_work() as s:
        letter_id = codes.issue_letter(s, s.get(Member, member_id), "invitation", clock.now())
        letter = s.get(Letter, letter_id)
        letter.status = status
        return letter_id, letter.reference


def _text(response) -> str:
    return html.unescape(response.data.decode())


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _scan(client, reference: str):
    token = csrf(client.get("/staff/mailroom").data)
    return client.post("/staff/mailroom", data={"csrf_token": token, "reference": reference})


def test_r2_a_returned_letter_is_marked_its_code_voided_and_a_case_opened(staff):
    letter_id, reference = _sent_letter()
    with db.unit_of_work() as s:
        done = returned_mail.register_return(s, reference.lower().replace("-", ""), staff.staff_id, clock.now())
    assert done.first_time and done.reference == reference
    with db.unit_of_work() as s:
        letter = s.get(Letter, letter_id)
        assert letter.status == LetterStatus.RETURNED and letter.returned_at is not None
        code = s.get(RegistrationCode, letter.code_id)
        assert code.status == CodeStatus.VOIDED and code.void_reason == "returned"
        case = s.get(Case, done.case_id)
        assert case.kind == "returned_mail" and case.status == CaseStatus.OPEN
        assert case.payload == {"letter_id": letter_id}
        assert case.member_id == letter.member_id
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.member_id == letter.member_id)))
        assert {"letter.returned", "code.voided", "case.opened"} <= actions


def test_scanning_the_same_letter_twice_does_nothing_twice(client):
    _, reference = _sent_letter()
    first, second = _scan(client, reference), _scan(client, f"  {reference.lower()} ")
    assert first.status_code == 200 and "is marked as returned" in _text(first)
    assert second.status_code == 200 and "was scanned before" in _text(second)
    assert _count(Case, Case.kind == "returned_mail") == 1
    assert _count(AuditEvent, AuditEvent.action == "letter.returned") == 1


@pytest.mark.parametrize("typed", ["{}", "\t{}", "{lower}", " {lower} \t"],
                         ids=["as printed", "tab first", "lower case", "lower case and blanks"])
def test_the_mail_room_takes_what_a_barcode_scanner_types(client, typed):
    """A scanner types the barcode's reference into the focused field and then Enter, which submits the form (a
    browser keeps no line break in a one-line field); some scanners add a prefix or blanks, or type lower case."""
    page = _text(client.get("/staff/mailroom"))
    assert 'autofocus' in page and page.count('name="reference"') == 1
    letter_id, reference = _sent_letter()
    response = _scan(client, typed.format(reference, lower=reference.lower()))
    assert response.status_code == 200 and f"Letter {reference} is marked as returned" in _text(response)
    with db.unit_of_work() as s:
        assert s.get(Letter, letter_id).status == LetterStatus.RETURNED


def test_unknown_or_unsent_references_get_a_clear_message_and_change_nothing(client):
    _, pending = _sent_letter(status=LetterStatus.PENDING)
    unknown = _scan(client, "L-ZZZZ-ZZZZ")
    assert unknown.status_code == 422 and "No letter with the reference L-ZZZZ-ZZZZ." in _text(unknown)
    never_sent = _scan(client, pending)
    assert never_sent.status_code == 422 and f"Letter {pending} was never sent" in _text(never_sent)
    assert _count(Case) == 0 and _count(Letter, Letter.status == LetterStatus.RETURNED) == 0


def _returned_case(client) -> int:
    _, reference = _sent_letter()
    _scan(client, reference)
    with db.unit_of_work() as s:
        return s.scalar(select(Case.id).where(Case.kind == "returned_mail"))


def _post(client, case_id: int, path: str, prefix: str, **fields: str):
    page = client.get(f"/staff/cases/{case_id}")
    token = csrf(page.data)
    data = {f"{prefix}-csrf_token": token, **hidden_fields(page.data, prefix),
            **{f"{prefix}-{k}": v for k, v in fields.items()}}
    return client.post(f"/staff/cases/{case_id}/{path}", data=data)


def test_r1_the_corrected_address_gets_the_new_code_letter(app, client):
    """Four eyes: the clerk records the new address, another staff member approves it and sends the letter."""
    case_id = _returned_case(client)
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert "Rue du Lac 4" in page and "The code on this letter no longer works." in page
    bad = _post(client, case_id, "returned-mail/address", "address", street="Neue Gasse 7", postcode="123",
                town="Bern")
    assert bad.status_code == 422 and "A Swiss postcode has 4 digits" in _text(bad)
    moved = _post(client, case_id, "returned-mail/address", "address", street="Neue Gasse 7", postcode="3011",
                  town="Bern")
    assert moved.status_code == 303
    second = english_client(app)
    log_in(second, create_staff("vera.vier", "Vera Vier"))
    sent = _post(second, case_id, "returned-mail/new-letter", "letter", note="new address from the register")
    assert sent.status_code == 303
    with db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert case.status == CaseStatus.APPROVED
        newest = s.scalar(select(Letter).order_by(Letter.id.desc()).limit(1))
        assert newest.status == LetterStatus.PENDING and newest.address[-2:] == ["Neue Gasse 7", "3011 Bern"]
        assert newest.kind == "invitation"
        corrected = s.scalar(select(AuditEvent).where(AuditEvent.action == "member.address_corrected"))
        assert corrected.member_id == case.member_id and corrected.actor == "staff:vera.vier"
        assert corrected.detail == {"fields": ["street", "postcode", "town"], "recorded_by": "staff:paul.post"}
        events = list(s.scalars(select(History.event).where(History.case_id == case_id).order_by(History.id)))
        assert events == ["case.opened", "letter.returned", "member.address_recorded", "member.address_corrected",
                          "case.approved"]


def test_a_returned_letter_case_can_be_closed_without_a_new_letter(client):
    case_id = _returned_case(client)
    letters = _count(Letter)
    closed = _post(client, case_id, "close", "close", note="the member has left the fund")
    assert closed.status_code == 303
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.CLOSED
    assert _count(Letter) == letters
    again = _post(client, case_id, "returned-mail/new-letter", "letter", note="")
    assert again.status_code == 409 and _count(Letter) == letters


def _printed(letter_id: int) -> str:
    with db.unit_of_work() as s:
        letter = s.get_one(Letter, letter_id)
        letter.status = LetterStatus.PRINTED
        return letter.reference


def test_r16_a_returned_exceptional_letter_sends_a_new_code_for_the_same_prepared_login(staff):
    """The new code must complete the login the fund prepared (name, e-mail, rights set by staff), not open the
    registration of a new administrator."""
    member_id = make_member("500200")
    recorder = create_staff("rita.record", "Rita Record")
    supervisor = create_staff("sven.super", "Sven Super", role="supervisor")
    sole = add_signatory(member_id, "Hans Muster", "sole")
    with db.unit_of_work() as s:
        case_id = exceptional.record(
            s, recorder.staff_id, "500200", exceptional.OfficialLetter(pdf_bytes(), "brief.pdf", date(2026, 1, 20)),
            [sole], exceptional.Person("Lea Schmid", "lea@muster.ch", "079 123 45 67", "de"), ["correspondence"],
            clock.now())
    with db.unit_of_work() as s:
        first = desk.approve(s, case_id, supervisor.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        done = returned_mail.register_return(s, _printed(first), staff.staff_id, clock.now())
    with db.unit_of_work() as s:
        second = desk.approve(s, done.case_id, staff.staff_id, "address confirmed", clock.now())
    with db.unit_of_work() as s:
        login = s.scalars(select(Login).where(Login.member_id == member_id)).one()
        letter = s.get_one(Letter, second)
        code = s.get_one(RegistrationCode, letter.code_id)
        assert (letter.kind, letter.status) == ("exceptional_login", LetterStatus.PENDING)
        assert (code.status, code.login_id, code.purpose) == (CodeStatus.ISSUED, login.id, codes.PREPARED_LOGIN)
        assert login.status == LoginStatus.PENDING and login.rights == ["correspondence"]


def test_r16_a_returned_exceptional_letter_is_not_resent_once_its_login_is_gone(staff):
    member_id = make_member("500300")
    recorder = create_staff("rita.record", "Rita Record")
    supervisor = create_staff("sven.super", "Sven Super", role="supervisor")
    sole = add_signatory(member_id, "Hans Muster", "sole")
    with db.unit_of_work() as s:
        case_id = exceptional.record(
            s, recorder.staff_id, "500300", exceptional.OfficialLetter(pdf_bytes(), "brief.pdf", date(2026, 1, 20)),
            [sole], exceptional.Person("Lea Schmid", "lea@muster.ch", "079 123 45 67", "de"), ["correspondence"],
            clock.now())
    with db.unit_of_work() as s:
        first = desk.approve(s, case_id, supervisor.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        done = returned_mail.register_return(s, _printed(first), staff.staff_id, clock.now())
        s.scalars(select(Login).where(Login.member_id == member_id)).one().status = LoginStatus.DEACTIVATED
    letters = _count(Letter)
    with pytest.raises(desk.CannotApprove, match="no longer waits"), db.unit_of_work() as s:
        desk.approve(s, done.case_id, staff.staff_id, "", clock.now())
    assert _count(Letter) == letters and _count(Case, Case.id == done.case_id, Case.status == CaseStatus.OPEN) == 1


def test_r17_a_returned_confirmation_is_sent_again_without_a_code(client):
    """A letter that carried no code must not come back as a code letter: nobody asked for access."""
    member_id = make_member("500400")
    with db.unit_of_work() as s:
        first = codes.issue_letter_without_code(s, s.get_one(Member, member_id), "logins_deactivated", clock.now())
    reference = _printed(first)
    scanned = _scan(client, reference)
    assert scanned.status_code == 200 and f"Letter {reference} is marked as returned. Case" in _text(scanned)
    with db.unit_of_work() as s:
        case_id = s.scalar(select(Case.id).where(Case.kind == "returned_mail"))
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert "Send the letter again" in page and "The code on this letter no longer works." not in page
    codes_before = _count(RegistrationCode)
    sent = _post(client, case_id, "returned-mail/new-letter", "letter", note="")
    assert sent.status_code == 303
    with db.unit_of_work() as s:
        newest = s.scalar(select(Letter).order_by(Letter.id.desc()).limit(1))
        assert (newest.kind, newest.code_id, newest.status) == ("logins_deactivated", None, LetterStatus.PENDING)
        assert s.get_one(Case, case_id).status == CaseStatus.APPROVED
    assert _count(RegistrationCode) == codes_before


def test_the_mail_room_speaks_the_clerks_language(app, staff):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    log_in(client, staff)
    unknown = _scan(client, "L-ZZZZ-ZZZZ")
    assert unknown.status_code == 422 and "Es gibt keinen Brief mit der Referenz L-ZZZZ-ZZZZ." in _text(unknown)
    _, pending = _sent_letter(status=LetterStatus.PENDING)
    never_sent = _scan(client, pending)
    assert f"Brief {pending} wurde nie versandt (Stand: Wartet" in _text(never_sent)


def test_r16_closing_a_returned_exceptional_letter_withdraws_the_prepared_login(staff):
    """Nobody can complete that login any more; withdrawn, its e-mail is free for a new registration."""
    member_id = make_member("500400")
    recorder = create_staff("rita.record", "Rita Record")
    supervisor = create_staff("sven.super", "Sven Super", role="supervisor")
    sole = add_signatory(member_id, "Hans Muster", "sole")
    person = exceptional.Person("Lea Schmid", "lea@muster.ch", "079 123 45 67", "de")
    with db.unit_of_work() as s:
        case_id = exceptional.record(
            s, recorder.staff_id, "500400", exceptional.OfficialLetter(pdf_bytes(), "brief.pdf", date(2026, 1, 20)),
            [sole], person, ["correspondence"], clock.now())
    with db.unit_of_work() as s:
        first = desk.approve(s, case_id, supervisor.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        done = returned_mail.register_return(s, _printed(first), staff.staff_id, clock.now())
    with db.unit_of_work() as s:
        desk.close(s, done.case_id, staff.staff_id, "the member will write again", clock.now())
    with db.unit_of_work() as s:
        login = s.scalars(select(Login).where(Login.member_id == member_id)).one()
        assert login.status == LoginStatus.DEACTIVATED
        assert not exceptional.email_taken(s, member_id, "lea@muster.ch")
