"""The desk's decisions as staff make them, on real PostgreSQL through the pages (CSRF on, two-step staff login):
the approver's note is kept (R18), a rejection of an R16/R17 case tells the member by letter in its language
(R1, R6), the R16 code letter says what its code voids (R2), a new address waits for a second staff member
(four eyes), staff notices skip a case's recorder, clerks see what only supervisors decide, and the forms say
what they do with a letter, a language and a letter never printed."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from registrations_support import add_login, add_signatory, pdf_bytes
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, hidden_fields, log_in, make_app, make_member

from core import clock, db
from core.codes import codes, letters, returned_mail
from core.desk import desk, exceptional, staff_notices, stale_logins, support
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, LoginStatus
from core.models import AuditEvent, Case, History, Letter, Login, Member, OutboxMessage, RegistrationCode
from letters import compose

LETTER_DATE = date(2026, 1, 20)
NOTE = "Signatures checked against the register extract of 05.01.2026"
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def member(app):
    return make_member("100200", name="Muster Holzbau AG", language="fr")


def _text(response) -> str:
    return html.unescape(response.data.decode())


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _client(app, enrolment, lang: str = "en", steps_ahead: int = 0):
    """steps_ahead=1 logs the same person in a second time: a TOTP code is accepted once only (R8)."""
    client = english_client(app) if lang == "en" else app.test_client()
    if lang != "en":
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    log_in(client, enrolment, steps_ahead)
    return client


def _r16_case(member_id: int, recorder_id: int) -> int:
    sole = add_signatory(member_id, "Hans Muster", "sole")
    with db.unit_of_work() as s:
        return exceptional.record(s, recorder_id, "100200",
                                  exceptional.OfficialLetter(pdf_bytes(), "brief.pdf", LETTER_DATE), [sole],
                                  exceptional.Person("Lea Schmid", "lea.schmid@muster.ch", "079 123 45 67", "de"),
                                  ["correspondence"], clock.now())


def _r17_case(member_id: int, recorder_id: int) -> int:
    logins = [add_login(member_id, "Paolo Neri", ["correspondence"]), add_login(member_id, "Ugo Verdi", ["invoices"])]
    with db.unit_of_work() as s:
        return stale_logins.record(s, recorder_id, "100200", logins,
                                   stale_logins.MemberRequest("Brief vom 12.01.2026"), clock.now())


RECORD = {"exceptional_registration": (_r16_case, "exceptional-registration"),
          "stale_logins": (_r17_case, "stale-logins")}


def _pdf_text(letter_id: int) -> str:
    with db.unit_of_work() as s:
        assert letters.render_letters(s, [letter_id], clock.now()).rendered == [letter_id]
    with db.unit_of_work() as s:
        path = s.get_one(Letter, letter_id).pdf_path
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


# --- the approver's note (R18) ---

@pytest.mark.parametrize("kind", sorted(RECORD))
def test_r18_the_supervisors_note_on_an_r16_or_r17_approval_is_kept_in_the_case_the_audit_and_the_page(
        app, member, kind):
    make_case, path = RECORD[kind]
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = make_case(member, anna.staff_id)
    supervisor = _client(app, boss)
    page = supervisor.get(f"/staff/cases/{case_id}")
    approved = supervisor.post(f"/staff/cases/{case_id}/{path}/approve",
                               data={"approve-csrf_token": csrf(page.data), "approve-note": NOTE})
    assert approved.status_code == 303
    with db.unit_of_work() as s:
        case = s.get_one(Case, case_id)
        assert (case.status, case.decision_reason) == (CaseStatus.APPROVED, NOTE)
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "case.approved",
                                                  AuditEvent.subject == f"case:{case_id}"))
        assert event.detail["note"] == NOTE
        history = s.scalar(select(History.detail).where(History.case_id == case_id, History.event == "case.approved"))
        assert history.endswith(f"– {NOTE}")
    assert NOTE in _text(supervisor.get(f"/staff/cases/{case_id}"))


# --- rejecting an R16/R17 case: a letter to the member (R1, R6) ---

@pytest.mark.parametrize("kind", sorted(RECORD))
def test_r1_r6_rejecting_an_r16_or_r17_case_tells_the_member_by_letter_in_its_language_with_the_reason(
        app, member, kind):
    make_case, _ = RECORD[kind]
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = make_case(member, anna.staff_id)
    supervisor = _client(app, boss)
    page = supervisor.get(f"/staff/cases/{case_id}")
    before = _text(page)
    assert "Code entry stays blocked" not in before and "told by e-mail" not in before
    assert ("A letter goes by post to the member's address on file shown above, in the member's language (French), "
            "saying that the request is rejected and why.") in before
    reason = "La lettre n'est signée que par une seule personne\nalors que deux signatures sont requises."
    rejected = supervisor.post(f"/staff/cases/{case_id}/reject",
                               data={"reject-csrf_token": csrf(page.data), "reject-reason": reason})
    assert rejected.status_code == 303
    with db.unit_of_work() as s:
        letter = s.scalars(select(Letter).where(Letter.member_id == member)).one()
        assert (letter.kind, letter.language, letter.code_id) == ("request_rejected", "fr", None)
        assert letter.address == ["Muster Holzbau AG", "Rue du Lac 4", "2000 Neuchâtel"]  # the address on file
        assert s.get_one(Case, case_id).status == CaseStatus.REJECTED
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "case.rejected"))
        assert event.detail["letter_id"] == letter.id
    assert _count(OutboxMessage, OutboxMessage.task == "mail.send") == 0  # nobody to e-mail: nothing claims one
    shown = _text(supervisor.get(f"/staff/cases/{case_id}"))
    assert ("Rejected. A letter with your reason goes by post to the member's address on file, in the member's "
            f"language (letter {letter.reference}).") in shown
    assert "e-mail" not in shown.split("Rejected.", 1)[1].split("</div>", 1)[0]
    assert f"By letter {letter.reference} to the address on file" in shown
    text = _pdf_text(letter.id)
    assert "nous ne pouvons pas donner suite à votre demande" in text
    assert "alors que deux signatures sont requises" in " ".join(text.split())
    assert not CODE.search(text)
    expected = "Lea Schmid" if kind == "exceptional_registration" else "Paolo Neri, Ugo Verdi"
    assert expected in " ".join(text.split())
    # nothing done for the member
    assert _count(Login, Login.status.in_((LoginStatus.PENDING, LoginStatus.DEACTIVATED))) == 0


# --- the R16 code letter says what its code voids (R2) ---

@pytest.mark.parametrize(("language", "old"), [
    ("de", "Frühere, noch nicht verwendete Zugangscodes Ihres Betriebs sind damit ungültig."),
    ("fr", "Les codes d'accès antérieurs non utilisés de votre entreprise ne sont plus valables."),
    ("it", "I codici di accesso precedenti non ancora utilizzati della sua azienda non sono più validi."),
    ("en", "Any earlier unused registration codes of your company are no longer valid."),
])
def test_r2_the_r16_code_letter_does_not_claim_it_voids_the_members_other_codes(language, old):
    """Its code has a purpose of its own: the member's own registration code keeps working, as the letter says."""
    fund = compose.Fund("Ausgleichskasse Muster", ("Postfach", "3001 Bern"), "connect@ak.example", "031 000 00 00",
                        "https://connect.example")
    spec = compose.build_spec(fund, compose.LetterData("exceptional_login", language, ("Muster AG", "3000 Bern"),
                                                       date(2026, 2, 1), date(2026, 2, 22), "L-AAAA-BBBB", "100200",
                                                       "ABCD-EFGH-JKMN-PQRS"))
    text = " ".join(" ".join(block.lines) for block in spec.blocks)
    assert old not in text
    assert {"de": "berührt die übrigen Zugangscodes Ihres Betriebs nicht",
            "fr": "n'a aucun effet sur les autres codes d'accès de votre entreprise",
            "it": "non tocca gli altri codici di accesso della sua azienda",
            "en": "does not affect your company's other registration codes"}[language] in text


def test_r2_a_new_code_for_a_prepared_login_voids_that_logins_older_code_and_nothing_else(member):
    """R2's 'same purpose' for a prepared login is that login: the member's registration code and the code of
    another prepared login stay valid; the login's own older code does not."""
    now = clock.now()
    first, other = add_login(member, "Lea Schmid", ["correspondence"], status=LoginStatus.PENDING), add_login(
        member, "Gina Rossi", ["invoices"], status=LoginStatus.PENDING)
    with db.unit_of_work() as s:
        own = s.get_one(Member, member)
        registration = codes.issue_letter(s, own, "new_code", now)
        old = codes.issue_prepared_login_letter(s, own, first, "exceptional_login", now, "staff:beat.keller")
        kept = codes.issue_prepared_login_letter(s, own, other, "exceptional_login", now, "staff:beat.keller")
    with db.unit_of_work() as s:
        new = codes.issue_prepared_login_letter(s, s.get_one(Member, member), first, "exceptional_login", now,
                                                "staff:beat.keller")

    def status(letter_id: int) -> str:
        with db.unit_of_work() as s:
            return s.get_one(RegistrationCode, s.get_one(Letter, letter_id).code_id).status

    assert [status(i) for i in (registration, old, kept, new)] == [
        CodeStatus.ISSUED, CodeStatus.VOIDED, CodeStatus.ISSUED, CodeStatus.ISSUED]


# --- a new address needs a second staff member (four eyes) ---

def _printed_code_letter(member_id: int) -> str:
    with db.unit_of_work() as s:
        letter = s.get_one(Letter, codes.issue_letter(s, s.get_one(Member, member_id), "invitation", clock.now()))
        letter.status = LetterStatus.PRINTED
        return letter.reference


def _post(client, case_id: int, path: str, prefix: str, **fields: str):
    page = client.get(f"/staff/cases/{case_id}").data
    return client.post(f"/staff/cases/{case_id}/{path}",
                       data={f"{prefix}-csrf_token": csrf(page), **hidden_fields(page, prefix),
                             **{f"{prefix}-{k}": v for k, v in fields.items()}})


def test_r1_r18_four_eyes_a_new_address_is_used_only_after_another_staff_member_approves_it(app, member):
    paul = create_staff("paul.post", "Paul Post")
    vera = create_staff("vera.vier", "Vera Vier")
    with db.unit_of_work() as s:
        case_id = returned_mail.register_return(s, _printed_code_letter(member), paul.staff_id, clock.now()).case_id
    clerk = _client(app, paul)
    recorded = _post(clerk, case_id, "returned-mail/address", "address", street="Neue Gasse 7", postcode="3011",
                     town="Bern")
    assert recorded.status_code == 303
    with db.unit_of_work() as s:
        assert s.get_one(Member, member).street == "Rue du Lac 4"  # not on file yet
    assert _count(Letter) == 1
    own = _text(clerk.get(f"/staff/cases/{case_id}"))
    assert "New address waiting for approval" in own and "Neue Gasse 7" in own
    assert "You recorded the new address; another staff member must approve it." in own
    alone = _post(clerk, case_id, "returned-mail/new-letter", "letter", note="")
    assert alone.status_code == 409 and "another staff member must approve it" in _text(alone)
    with db.unit_of_work() as s:
        assert s.get_one(Member, member).street == "Rue du Lac 4" and s.get_one(Case, case_id).status == CaseStatus.OPEN
    assert _count(Letter) == 1

    second = _client(app, vera)
    page = _text(second.get(f"/staff/cases/{case_id}"))
    assert "Approve the new address and send the letter" in page and "Paul Post (paul.post)" in page
    approved = _post(second, case_id, "returned-mail/new-letter", "letter", note="checked in the register")
    assert approved.status_code == 303
    with db.unit_of_work() as s:
        on_file = s.get_one(Member, member)
        assert (on_file.street, on_file.postcode, on_file.town) == ("Neue Gasse 7", "3011", "Bern")
        newest = s.scalar(select(Letter).order_by(Letter.id.desc()).limit(1))
        assert newest.address[-2:] == ["Neue Gasse 7", "3011 Bern"] and newest.code_id is not None
        events = {e.action: e for e in s.scalars(select(AuditEvent).where(AuditEvent.member_id == member))}
        assert events["member.address_recorded"].actor == "staff:paul.post"
        assert events["member.address_corrected"].actor == "staff:vera.vier"
        assert events["member.address_corrected"].detail == {"fields": ["street", "postcode", "town"],
                                                            "recorded_by": "staff:paul.post"}
        assert s.get_one(Case, case_id).status == CaseStatus.APPROVED


def test_four_eyes_the_approver_puts_on_file_only_the_address_the_page_showed(app, member):
    """The recorder records another address while the approver has the page open: approving from that page is
    refused, nothing goes on file and no letter leaves; approving after looking again uses the new one."""
    paul = create_staff("paul.post", "Paul Post")
    vera = create_staff("vera.vier", "Vera Vier")
    with db.unit_of_work() as s:
        case_id = returned_mail.register_return(s, _printed_code_letter(member), paul.staff_id, clock.now()).case_id
    clerk, second = _client(app, paul), _client(app, vera)
    _post(clerk, case_id, "returned-mail/address", "address", street="Via Canova 7", postcode="6900", town="Lugano")
    seen = second.get(f"/staff/cases/{case_id}").data  # Vera reads Via Canova
    _post(clerk, case_id, "returned-mail/address", "address", street="Via Sbagliata 99", postcode="6830",
          town="Chiasso")
    stale = second.post(f"/staff/cases/{case_id}/returned-mail/new-letter",
                        data={"letter-csrf_token": csrf(seen), **hidden_fields(seen, "letter"), "letter-note": ""})
    assert stale.status_code == 409
    assert "The new address was changed after you opened the case; check it again." in _text(stale)
    with db.unit_of_work() as s:
        assert s.get_one(Member, member).street == "Rue du Lac 4" and s.get_one(Case, case_id).status == CaseStatus.OPEN
    assert _count(Letter) == 1
    assert _post(second, case_id, "returned-mail/new-letter", "letter", note="").status_code == 303
    with db.unit_of_work() as s:
        assert s.get_one(Member, member).street == "Via Sbagliata 99"


def test_four_eyes_closing_the_case_drops_the_address_waiting(app, member):
    paul = create_staff("paul.post", "Paul Post")
    with db.unit_of_work() as s:
        case_id = returned_mail.register_return(s, _printed_code_letter(member), paul.staff_id, clock.now()).case_id
    with db.unit_of_work() as s:
        returned_mail.record_address(s, case_id, paul.staff_id, {"street": "Neue Gasse 7", "postcode": "3011",
                                                                  "town": "Bern"}, clock.now())
    with db.unit_of_work() as s:
        desk.close(s, case_id, paul.staff_id, "the member has left the fund", clock.now())
    with db.unit_of_work() as s:
        assert s.get_one(Member, member).street == "Rue du Lac 4"


# --- who is told, and who may decide ---

def test_r16_the_recorder_of_a_case_is_not_notified_about_it(pg):
    """The recorder cannot decide it (four eyes): the notice goes to the other supervisor only."""
    member_id = make_member("100200")
    anna = create_staff("anna.muster", "Anna Muster", role="supervisor")
    create_staff("beat.keller", "Beat Keller", role="supervisor")
    _r16_case(member_id, anna.staff_id)
    with db.unit_of_work() as s:
        assert staff_notices.notify(s, clock.now()) == 1
    with db.unit_of_work() as s:
        told = [args["to"] for args in s.scalars(select(OutboxMessage.args).where(OutboxMessage.task == "mail.send"))]
    assert told == ["beat.keller@exfour.ch"]


def test_clerks_see_which_cases_a_supervisor_decides(app, member):
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    _r16_case(member, anna.staff_id)
    clerk_list = _text(_client(app, anna).get("/staff/"))
    assert "Registration by the fund" in clerk_list and "Supervisor decides" in clerk_list
    assert "Recorded by you: another staff member decides" in clerk_list
    supervisor_list = _text(_client(app, boss).get("/staff/"))
    assert "Supervisor decides" not in supervisor_list and "Recorded by you" not in supervisor_list
    german = _text(_client(app, anna, "de", steps_ahead=1).get("/staff/"))
    assert "Teamleitung entscheidet" in german


@pytest.mark.parametrize(("lang", "title"), [("en", "For supervisors only"), ("de", "Nur für die Teamleitung"),
                                             ("fr", "Réservé aux responsables"), ("it", "Riservato ai responsabili")])
def test_a_clerk_opening_the_operations_page_is_spoken_to_as_staff(app, lang, title):
    page = _client(app, create_staff("anna.muster", "Anna Muster"), lang).get("/staff/operations")
    text = _text(page)
    assert page.status_code == 403 and title in text
    for member_wording in ("administrator of your company", "Administrator Ihres Unternehmens",
                           "administrateur de votre entreprise", "amministratore della"):
        assert member_wording not in text


# --- what a form does with a letter, a language, a letter never printed ---

def test_r16_a_refused_form_says_the_letter_must_be_attached_again(app, member):
    anna = create_staff("anna.muster", "Anna Muster")
    joint = add_signatory(member, "Hans Muster", "collective_two")
    client = _client(app, anna)
    page = client.get("/staff/registrations/100200/exceptional")
    refused = client.post("/staff/registrations/100200/exceptional", content_type="multipart/form-data", data={
        "csrf_token": csrf(page.data), "letter_date": LETTER_DATE.isoformat(), "signers": [str(joint)],
        "name": "Lea Schmid", "email": "lea.schmid@muster.ch", "mobile": "079 123 45 67", "language": "de",
        "rights": ["correspondence"], "letter": (io.BytesIO(pdf_bytes()), "brief.pdf")})
    assert refused.status_code == 422
    text = _text(refused)
    assert "Hans Muster signs only together with a second authorised signatory" in text
    assert "Attach the letter again: the file is not kept while the form has a problem." in text
    assert _count(Case) == 0


def test_a_support_case_shows_the_language_of_the_request(app, member):
    with db.unit_of_work() as s:
        support.submit(s, support.SupportRequest("two_step_login", "Il codice SMS non arriva.", "Marco Rossi",
                                                 "marco@rossi.ch", "it"), clock.now(), member_id=member)
        case_id = s.scalar(select(Case.id).where(Case.kind == "support"))
    page = _text(_client(app, create_staff("anna.muster", "Anna Muster")).get(f"/staff/cases/{case_id}"))
    assert re.search(r"Language of the request</dt><dd>Italian – write your answer in this language", page)


def test_the_mailroom_refuses_a_letter_never_printed(app, member):
    with db.unit_of_work() as s:
        letter = s.get_one(Letter, codes.issue_letter(s, s.get_one(Member, member), "invitation", clock.now()))
        letter.status, reference = LetterStatus.RENDERED, letter.reference
    client = _client(app, create_staff("paul.post", "Paul Post"))
    token = csrf(client.get("/staff/mailroom").data)
    scanned = client.post("/staff/mailroom", data={"csrf_token": token, "reference": reference})
    assert scanned.status_code == 422
    assert (f"Letter {reference} was never printed (state: Ready to print): only a letter that went out by post can "
            "come back; nothing was changed.") in _text(scanned)
    with db.unit_of_work() as s:
        assert s.scalars(select(Letter).where(Letter.reference == reference)).one().status == LetterStatus.RENDERED
        assert s.scalar(select(RegistrationCode.status).join(Letter, Letter.code_id == RegistrationCode.id)) == (
            CodeStatus.ISSUED)
    assert _count(Case) == 0


def test_r17_a_rejection_letter_sent_again_after_it_came_back_carries_the_same_reason(pg):
    """The letter pipeline finds the reason on the rejecting case, also for the letter sent again (returned mail)."""
    member_id = make_member("100200", language="de")
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = _r17_case(member_id, anna.staff_id)
    reason = "Es gibt ein aktives Login mit Administrationsrechten."
    with db.unit_of_work() as s:
        done = desk.reject(s, case_id, boss.staff_id, reason, clock.now() - timedelta(days=7))
    assert done == desk.Rejection(done.letter_reference, requester_mailed=False) and done.letter_reference
    with db.unit_of_work() as s:
        first = s.scalars(select(Letter).where(Letter.reference == done.letter_reference)).one()
        first.status = LetterStatus.PRINTED
        returned = returned_mail.register_return(s, first.reference, anna.staff_id, clock.now())
    with db.unit_of_work() as s:
        again = desk.approve(s, returned.case_id, anna.staff_id, "", clock.now())
    text = " ".join(_pdf_text(again).split())
    assert "Wir können Ihr Gesuch nicht ausführen" in text
    assert reason in text and "Paolo Neri, Ugo Verdi" in text and not CODE.search(text)
