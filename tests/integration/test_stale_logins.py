"""R17 on real PostgreSQL: the fund deactivates a member's stale logins on its request, only while the member has
no active administrator; one case, several logins, one confirmation letter to the address on file."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from registrations_support import add_login, pdf_bytes
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, log_in, make_app, make_member

from core import clock, db
from core.codes import returned_mail
from core.desk import desk, stale_logins
from core.domain.states import CaseStatus, LetterStatus, LoginStatus
from core.models import AuditEvent, Case, Letter, Login, OutboxMessage

ADMIN = ["administration", "correspondence"]


@pytest.fixture
def member(pg):
    return make_member("100200", language="it")


def _record(staff_id: int, login_ids: list[int], note: str = "Brief vom 12.01.2026", data: bytes = b"") -> int:
    with db.unit_of_work() as s:
        return stale_logins.record(s, staff_id, "100200", login_ids,
                                   stale_logins.MemberRequest(note, data, "brief.pdf" if data else ""), clock.now())


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_r17_refused_while_an_active_administrator_exists_naming_them(member):
    anna = create_staff("anna.muster", "Anna Muster")
    add_login(member, "Maria Bianchi", ADMIN)
    old = add_login(member, "Paolo Neri", ["correspondence"])
    with pytest.raises(stale_logins.Refused) as refused:
        _record(anna.staff_id, [old])
    assert "This member has an active administrator (Maria Bianchi)" in str(refused.value)
    assert "ask the member to contact them" in str(refused.value)
    assert _count(Case) == 0


def test_r17_an_administrator_past_the_last_day_no_longer_counts(member):
    anna = create_staff("anna.muster", "Anna Muster")
    gone = add_login(member, "Maria Bianchi", ADMIN)
    with db.unit_of_work() as s:
        s.get_one(Login, gone).last_day = clock.today_in_zurich(clock.now()) - timedelta(days=2)
    case_id = _record(anna.staff_id, [gone])
    assert _count(Case, Case.id == case_id, Case.kind == "stale_logins") == 1


def test_r17_bad_choices_are_reported(member):
    anna = create_staff("anna.muster", "Anna Muster")
    other = make_member("999", name="Andere SA")
    theirs = add_login(other, "Eva Fremd", ["correspondence"])
    with pytest.raises(stale_logins.Refused, match="logins of this member only"):
        _record(anna.staff_id, [theirs])
    with pytest.raises(stale_logins.Refused, match="at least one login"):
        _record(anna.staff_id, [])
    ended = add_login(member, "Paolo Neri", ["correspondence"], status=LoginStatus.DEACTIVATED)
    with pytest.raises(stale_logins.Refused, match="Paolo Neri's login is deactivated already"):
        _record(anna.staff_id, [ended])
    with pytest.raises(stale_logins.Refused, match="not a PDF"):
        _record(anna.staff_id, [add_login(member, "Ugo Verdi", ["correspondence"])], data=b"plain text")
    assert _count(Case) == 0


def test_r17_approval_ends_all_chosen_logins_and_sends_one_letter(member):
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    first = add_login(member, "Maria Bianchi", ADMIN)  # an administrator who has left: status still active
    with db.unit_of_work() as s:
        s.get_one(Login, first).last_day = clock.today_in_zurich(clock.now()) - timedelta(days=1)
    second = add_login(member, "Paolo Neri", ["correspondence"])
    kept = add_login(member, "Ugo Verdi", ["correspondence"])
    case_id = _record(anna.staff_id, [first, second], data=pdf_bytes())
    with db.unit_of_work() as s:
        letter_id = desk.approve(s, case_id, boss.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        states = {row.name: row.status for row in s.execute(select(Login.name, Login.status)
                                                           .where(Login.member_id == member))}
        assert states == {"Maria Bianchi": LoginStatus.DEACTIVATED, "Paolo Neri": LoginStatus.DEACTIVATED,
                          "Ugo Verdi": LoginStatus.ACTIVE}
        assert s.get_one(Login, second).session_version == 2  # R11: every session ends at once
        letter = s.get_one(Letter, letter_id)
        assert (letter.kind, letter.code_id, letter.language) == ("logins_deactivated", None, "it")
        assert letter.address == ["Muster Holzbau AG", "Rue du Lac 4", "2000 Neuchâtel"]
        ended = set(s.scalars(select(AuditEvent.subject).where(AuditEvent.action == "login.deactivated")))
        assert ended == {f"login:{first}", f"login:{second}"}
        assert stale_logins.letter_names(s, letter_id) == ["Maria Bianchi", "Paolo Neri"]
    assert kept and _count(Letter) == 1
    assert _count(OutboxMessage, OutboxMessage.task == "letters.render") == 1


def test_r17_approval_checks_again_for_an_administrator(member):
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    old = add_login(member, "Paolo Neri", ["correspondence"])
    case_id = _record(anna.staff_id, [old])
    add_login(member, "Maria Bianchi", ADMIN, email="maria@muster.ch")  # registered with a new code meanwhile
    with pytest.raises(desk.CannotApprove, match=r"active administrator \(Maria Bianchi\)"), db.unit_of_work() as s:
        desk.approve(s, case_id, boss.staff_id, "", clock.now())
    assert _count(Login, Login.status == LoginStatus.DEACTIVATED) == 0
    assert _count(Case, Case.status == CaseStatus.OPEN) == 1


def test_r17_the_recorder_cannot_approve(member):
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = _record(boss.staff_id, [add_login(member, "Paolo Neri", ["correspondence"])])
    with pytest.raises(desk.CannotApprove, match="another staff member"), db.unit_of_work() as s:
        desk.approve(s, case_id, boss.staff_id, "", clock.now())
    assert _count(Login, Login.status == LoginStatus.DEACTIVATED) == 0


def test_r17_pages_from_choosing_the_logins_to_approval(pg, member):
    app = make_app()
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    first = add_login(member, "Paolo Neri", ["correspondence"])
    second = add_login(member, "Ugo Verdi", ["correspondence"], status=LoginStatus.PENDING)
    clerk = english_client(app)
    log_in(clerk, anna)
    found = html.unescape(clerk.get("/staff/registrations?member=100200").data.decode())
    assert "Deactivate logins of people who have left" in found
    page = clerk.get("/staff/registrations/100200/stale-logins")
    text = html.unescape(page.data.decode())
    assert "Paolo Neri" in text and "Registration not finished" in text
    empty = clerk.post("/staff/registrations/100200/stale-logins", data={"csrf_token": csrf(page.data)})
    assert empty.status_code == 422 and "Choose at least one login to deactivate" in html.unescape(
        empty.data.decode())
    done = clerk.post("/staff/registrations/100200/stale-logins",
                      data={"csrf_token": csrf(page.data), "logins": [str(first), str(second)],
                            "note": "E-mail of 12.01.2026 from the owner"})
    assert done.status_code == 200 and "Case 1 recorded" in html.unescape(done.data.decode())
    supervisor = english_client(app)
    log_in(supervisor, boss)
    case_page = supervisor.get("/staff/cases/1")
    assert "E-mail of 12.01.2026 from the owner" in html.unescape(case_page.data.decode())
    approved = supervisor.post("/staff/cases/1/stale-logins/approve",
                               data={"approve-csrf_token": csrf(case_page.data)})
    assert approved.status_code == 303
    assert _count(Login, Login.status == LoginStatus.DEACTIVATED) == 2


def test_r17_page_names_the_administrators_instead_of_a_form(pg, member):
    app = make_app()
    anna = create_staff("anna.muster", "Anna Muster")
    add_login(member, "Maria Bianchi", ADMIN)
    clerk = english_client(app)
    log_in(clerk, anna)
    text = html.unescape(clerk.get("/staff/registrations/100200/stale-logins").data.decode())
    assert "This member has an active administrator (Maria Bianchi)" in text
    assert 'name="logins"' not in text


def test_r17_the_confirmation_letter_renders_without_a_code(member):
    from pypdf import PdfReader

    from core.codes import letters

    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = _record(anna.staff_id, [add_login(member, "Paolo Neri", ["correspondence"])])
    with db.unit_of_work() as s:
        letter_id = desk.approve(s, case_id, boss.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        outcome = letters.render_letters(s, [letter_id], clock.now())
    assert outcome.rendered == [letter_id]
    with db.unit_of_work() as s:
        letter = s.get_one(Letter, letter_id)
    text = "\n".join(page.extract_text() for page in PdfReader(letter.pdf_path).pages)
    assert "login disattivati" in text and "2000 Neuchâtel" in text  # the member's language and address on file
    assert not re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", text)  # no code printed


def test_r17_the_same_request_recorded_twice_is_refused_naming_the_open_case(member):
    """A second click or a second clerk must not make two cases, and later two letters, for the same logins."""
    anna = create_staff("anna.muster", "Anna Muster")
    paolo, gina = add_login(member, "Paolo Neri", ["correspondence"]), add_login(member, "Gina Rossi", ["invoices"])
    first = _record(anna.staff_id, [paolo])
    with pytest.raises(stale_logins.Refused) as refused:
        _record(anna.staff_id, [gina, paolo])
    assert f"Case {first} already asks to deactivate Paolo Neri's login and waits for approval." in str(refused.value)
    assert _count(Case) == 1
    assert _count(Case, Case.kind == "stale_logins") == 1
    _record(anna.staff_id, [gina])  # another login: its own case
    assert _count(Case, Case.kind == "stale_logins") == 2


def test_r17_a_confirmation_sent_again_after_it_came_back_lists_the_same_logins(member):
    anna = create_staff("anna.muster", "Anna Muster")
    beat = create_staff("beat.keller", "Beat Keller", role="supervisor")
    case_id = _record(anna.staff_id, [add_login(member, "Paolo Neri", ["correspondence"])])
    with db.unit_of_work() as s:
        first = desk.approve(s, case_id, beat.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        letter = s.get_one(Letter, first)
        letter.status = LetterStatus.PRINTED
        returned = returned_mail.register_return(s, letter.reference, anna.staff_id, clock.now())
    with db.unit_of_work() as s:
        again = desk.approve(s, returned.case_id, anna.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        assert s.get_one(Letter, again).kind == "logins_deactivated"
        assert stale_logins.letter_names(s, again) == stale_logins.letter_names(s, first) == ["Paolo Neri"]
