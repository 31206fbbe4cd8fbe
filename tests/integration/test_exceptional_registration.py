"""R16 on real PostgreSQL: an official letter recorded by one clerk, approved by another, prepares a pending
login and sends its code letter to the member's address on file. Four eyes hold on the server."""

from __future__ import annotations

import html
import io
from datetime import date, timedelta

import pytest
from registrations_support import add_login, add_signatory, pdf_bytes
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, log_in, make_app, make_member

from core import clock, db
from core.codes import codes
from core.desk import desk, exceptional
from core.domain.states import CaseStatus, CodeStatus, LoginStatus
from core.members import signatories
from core.models import AuditEvent, Case, Document, Letter, Login, Member, RegistrationCode, Signatory

LETTER_DATE = date(2026, 1, 20)
PERSON = exceptional.Person("Lea Schmid", "Lea.Schmid@Muster.ch", "079 123 45 67", "de")


@pytest.fixture
def member(pg):
    return make_member("100200", language="fr")


def _record(staff_id: int, signer_ids: list[int], person: exceptional.Person = PERSON,
            rights: tuple[str, ...] = ("salary_declarations", "correspondence"), data: bytes | None = None,
            letter_date: date = LETTER_DATE) -> int:
    with db.unit_of_work() as s:
        return exceptional.record(s, staff_id, "100200",
                                  exceptional.OfficialLetter(data if data is not None else pdf_bytes(), "brief.pdf",
                                                             letter_date),
                                  signer_ids, person, list(rights), clock.now())


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_r16_record_keeps_letter_and_opens_case_for_another_clerk(member):
    anna = create_staff("anna.muster", "Anna Muster")
    sole = add_signatory(member, "Hans Muster", "sole")
    case_id = _record(anna.staff_id, [sole])
    with db.unit_of_work() as s:
        case = s.get_one(Case, case_id)
        assert (case.kind, case.status, case.recorded_by, case.member_id) == (
            "exceptional_registration", CaseStatus.OPEN, anna.staff_id, member)
        assert case.payload["person"] == {"name": "Lea Schmid", "email": "lea.schmid@muster.ch",
                                          "mobile": "+41791234567", "language": "de"}
        assert case.payload["rights"] == ["salary_declarations", "correspondence"]
        assert s.get_one(Document, case.document_id).kind == "official_letter"
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.subject == f"case:{case_id}")))
    assert "exceptional_registration.recorded" in actions
    assert _count(Login) == 0  # nothing is created before the second clerk approves


def test_r16_lone_joint_signatory_is_refused_naming_the_rule_and_nothing_is_written(member):
    anna = create_staff("anna.muster", "Anna Muster")
    joint = add_signatory(member, "Hans Muster", "collective_two")
    with pytest.raises(exceptional.Refused) as refused:
        _record(anna.staff_id, [joint])
    assert "Hans Muster signs only together with a second authorised signatory" in str(refused.value)
    assert _count(Case) == 0 and _count(Document) == 0


def test_r16_expired_signatory_and_bad_person_are_all_reported(member):
    anna = create_staff("anna.muster", "Anna Muster")
    old = add_signatory(member, "Hans Muster", "sole", valid_until=LETTER_DATE - timedelta(days=1))
    with pytest.raises(exceptional.Refused) as refused:
        _record(anna.staff_id, [old], person=exceptional.Person("Lea Schmid", "not-an-address", "044 123 45 67", "de"),
                rights=("everything",))
    fields = {p.field for p in refused.value.problems}
    assert fields == {"signers", "email", "mobile", "rights"}
    assert "Hans Muster's signing authority ended on 19.01.2026, before the letter's date." in str(refused.value)


def test_r16_a_signatory_of_another_member_does_not_count(member):
    anna = create_staff("anna.muster", "Anna Muster")
    other = make_member("999", name="Andere AG")
    stranger = add_signatory(other, "Eva Fremd", "sole")
    with pytest.raises(exceptional.Refused, match="this member's signatories"):
        _record(anna.staff_id, [stranger])


def test_r16_not_a_pdf_is_refused_with_the_reason(member):
    anna = create_staff("anna.muster", "Anna Muster")
    sole = add_signatory(member, "Hans Muster", "sole")
    with pytest.raises(exceptional.Refused, match="the file is not a PDF"):
        _record(anna.staff_id, [sole], data=b"GIF89a not a letter")
    assert _count(Case) == 0


def test_r16_approval_prepares_pending_login_and_code_letter_to_address_on_file(member):
    anna = create_staff("anna.muster", "Anna Muster")
    beat = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = _record(anna.staff_id, [add_signatory(member, "Hans Muster", "collective_two"),
                                      add_signatory(member, "Eva Muster", "collective_procuration")])
    with db.unit_of_work() as s:
        letter_id = desk.approve(s, case_id, beat.staff_id, "checked with the register", clock.now())
    with db.unit_of_work() as s:
        login = s.scalars(select(Login).where(Login.member_id == member)).one()
        assert (login.status, login.name, login.email, login.password_hash) == (
            LoginStatus.PENDING, "Lea Schmid", "lea.schmid@muster.ch", "")
        assert login.rights == ["salary_declarations", "correspondence"]
        letter = s.get_one(Letter, letter_id)
        assert (letter.kind, letter.language, letter.trustee_id) == ("exceptional_login", "fr", None)
        assert letter.address == ["Muster Holzbau AG", "Rue du Lac 4", "2000 Neuchâtel"]  # R1: address on file
        code = s.get_one(RegistrationCode, letter.code_id)
        assert (code.status, code.login_id, code.code_hash) == (CodeStatus.ISSUED, login.id, None)  # drawn when printed
        case = s.get_one(Case, case_id)
        assert (case.status, case.decided_by) == (CaseStatus.APPROVED, beat.staff_id)
        created = s.scalars(select(AuditEvent).where(AuditEvent.action == "login.created")).one()
        assert created.detail["via"] == "exceptional_registration" and created.actor == "staff:beat.keller"


def test_r16_recorder_cannot_approve_in_the_service(member):
    anna = create_staff("anna.muster", "Anna Muster", role="supervisor")  # the role allows it; four eyes do not
    case_id = _record(anna.staff_id, [add_signatory(member, "Hans Muster", "sole")])
    with pytest.raises(desk.CannotApprove), db.unit_of_work() as s:
        desk.approve(s, case_id, anna.staff_id, "", clock.now())
    assert _count(Login) == 0 and _count(Case, Case.status == CaseStatus.OPEN) == 1


def test_r16_approval_checks_the_register_again(member):
    """A signatory ended in the register after recording (backdated) no longer completes the combination."""
    anna = create_staff("anna.muster", "Anna Muster")
    beat = create_staff("beat.keller", "Beat Keller", role="supervisor")
    sole = add_signatory(member, "Hans Muster", "sole")
    case_id = _record(anna.staff_id, [sole])
    with db.unit_of_work() as s:
        s.get_one(Signatory, sole).valid_until = LETTER_DATE - timedelta(days=30)
    with pytest.raises(desk.CannotApprove, match="no longer form a complete combination"), db.unit_of_work() as s:
        desk.approve(s, case_id, beat.staff_id, "", clock.now())
    assert _count(Login) == 0 and _count(Case, Case.status == CaseStatus.OPEN) == 1


def test_r16_an_email_already_in_use_is_refused(member):
    anna = create_staff("anna.muster", "Anna Muster")
    add_login(member, "Lea Schmid", ["correspondence"], email="lea.schmid@muster.ch")
    with pytest.raises(exceptional.Refused, match="already has a login with this e-mail"):
        _record(anna.staff_id, [add_signatory(member, "Hans Muster", "sole")])


# --- through the pages, with real CSRF and two-step staff login ---

@pytest.fixture
def app(pg):
    return make_app()


def _text(response) -> str:
    return html.unescape(response.data.decode())


def _post_record(client, signer_ids: list[int]):
    page = client.get("/staff/registrations/100200/exceptional")
    assert page.status_code == 200
    data = {"csrf_token": csrf(page.data), "letter_date": LETTER_DATE.isoformat(),
            "signers": [str(i) for i in signer_ids],
            "name": "Lea Schmid", "email": "lea.schmid@muster.ch", "mobile": "079 123 45 67", "language": "de",
            "rights": ["salary_declarations"], "letter": (io.BytesIO(pdf_bytes()), "brief.pdf")}
    return client.post("/staff/registrations/100200/exceptional", data=data, content_type="multipart/form-data")


def test_r16_four_eyes_recorder_cannot_approve_even_by_posting_the_route(app, member):
    anna = create_staff("anna.muster", "Anna Muster", role="supervisor")  # the role allows it; four eyes do not
    beat = create_staff("beat.keller", "Beat Keller", role="supervisor")
    sole = add_signatory(member, "Hans Muster", "sole")
    recorder = english_client(app)
    log_in(recorder, anna)
    done = _post_record(recorder, [sole])
    assert done.status_code == 200, _text(done)[:2000]
    assert "Case 1 recorded" in _text(done)
    case_page = recorder.get("/staff/cases/1")
    assert "You recorded this case; another staff member must approve it." in _text(case_page)
    assert 'action="/staff/cases/1/exceptional-registration/approve"' not in _text(case_page)
    # The form is not offered, so craft the request: the server refuses it all the same.
    crafted = recorder.post("/staff/cases/1/exceptional-registration/approve",
                            data={"approve-csrf_token": csrf(case_page.data), "approve-note": "ok"})
    assert crafted.status_code == 409
    assert "another staff member must approve it" in _text(crafted)
    also_desk = recorder.post("/staff/cases/1/approve", data={"approve-csrf_token": csrf(case_page.data)})
    assert also_desk.status_code == 409
    assert _count(Login) == 0 and _count(Case, Case.status == CaseStatus.OPEN) == 1

    approver = english_client(app)
    log_in(approver, beat)
    page = approver.get("/staff/cases/1")
    assert "Hans Muster signs alone (sole signature)." in _text(page)
    approved = approver.post("/staff/cases/1/exceptional-registration/approve",
                             data={"approve-csrf_token": csrf(page.data), "approve-note": "register checked"})
    assert approved.status_code == 303
    assert _count(Login, Login.status == LoginStatus.PENDING, Login.member_id == member) == 1
    assert _count(Letter, Letter.kind == "exceptional_login") == 1


def test_r16_the_record_page_names_the_failed_rule(app, member):
    anna = create_staff("anna.muster", "Anna Muster")
    joint = add_signatory(member, "Hans Muster", "collective_two")
    client = english_client(app)
    log_in(client, anna)
    refused = _post_record(client, [joint])
    assert refused.status_code == 422
    text = _text(refused)
    assert "There is a problem" in text
    assert "Hans Muster signs only together with a second authorised signatory" in text
    assert _count(Case) == 0


def test_r16_the_four_eyes_refusal_speaks_the_clerks_language(app, member):
    anna = create_staff("anna.muster", "Anna Muster", role="supervisor")
    sole = add_signatory(member, "Hans Muster", "sole")
    with db.unit_of_work() as s:
        case_id = exceptional.record(s, anna.staff_id, "100200",
                                     exceptional.OfficialLetter(pdf_bytes(), "brief.pdf", LETTER_DATE), [sole],
                                     PERSON, ["correspondence"], clock.now())
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    log_in(client, anna)
    page = client.get(f"/staff/cases/{case_id}")
    crafted = client.post(f"/staff/cases/{case_id}/exceptional-registration/approve",
                          data={"approve-csrf_token": csrf(page.data), "approve-note": "ok"})
    assert crafted.status_code == 409
    assert ("Sie haben diesen Fall erfasst; eine andere Person der Ausgleichskasse muss ihn gutheissen."
            in _text(crafted))
    assert _count(Login) == 0


def test_r2_a_later_code_for_the_member_does_not_void_the_prepared_logins_code(member):
    """The prepared login's code has a purpose of its own: a new-code request granted meanwhile must not leave the
    prepared login without a working code."""
    anna = create_staff("anna.muster", "Anna Muster")
    beat = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = _record(anna.staff_id, [add_signatory(member, "Hans Muster", "sole")])
    with db.unit_of_work() as s:
        letter_id = desk.approve(s, case_id, beat.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        codes.issue_letter(s, s.get_one(Member, member), "new_code", clock.now())
    with db.unit_of_work() as s:
        prepared = s.get_one(RegistrationCode, s.get_one(Letter, letter_id).code_id)
        assert prepared.status == CodeStatus.ISSUED


def test_r16_the_approver_is_warned_when_the_recorder_entered_a_signer_in_the_register(app, member):
    """Four eyes would be hollow if one clerk could both enter a signatory and record the letter unnoticed."""
    anna = create_staff("anna.muster", "Anna Muster")
    beat = create_staff("beat.keller", "Beat Keller", role="supervisor")
    imported = add_signatory(member, "Eva Muster", "collective_two")
    with db.unit_of_work() as s:
        entered = signatories.add(s, "staff:anna.muster", member,
                                  signatories.Entry("Hans Muster", "Direktor", "collective_two", None, None,
                                                    date(2026, 1, 5)), clock.now())
    case_id = _record(anna.staff_id, [imported, entered])
    with db.unit_of_work() as s:
        assert exceptional.kept_by_recorder(s, s.get_one(Case, case_id)) == [entered]
    approver = english_client(app)
    log_in(approver, beat)
    page = _text(approver.get(f"/staff/cases/{case_id}"))
    assert ("Hans Muster was entered in the register of signatories by the staff member who recorded this case"
            in page)
    assert "Eva Muster was entered" not in page


def test_r16_the_same_letter_recorded_twice_is_refused_naming_the_open_case(member):
    anna = create_staff("anna.muster", "Anna Muster")
    sole = add_signatory(member, "Hans Muster", "sole")
    first = _record(anna.staff_id, [sole])
    again = exceptional.Person("Lea Schmid", "LEA.schmid@muster.ch", "079 123 45 67", "de")
    with pytest.raises(exceptional.Refused, match=f"Case {first} already asks to register this person"):
        _record(anna.staff_id, [sole], person=again)
    assert _count(Case) == 1 and _count(Document) == 1
