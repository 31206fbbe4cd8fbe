"""R18: everything the fund's staff do to a member shows in its administrators' security history, labelled as the
fund's staff (never a staff member's name or username), in the administrator's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from admin_support import ALL, log_in, make_login, make_member, text
from sqlalchemy import select
from staff_support import create_staff

from core import clock, db
from core.codes import codes, returned_mail
from core.desk import desk, support
from core.domain.signatory_rows import SignatoryRow
from core.domain.states import LetterStatus
from core.members import signatories
from core.models import Case, Letter, Member


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def _staff_work_on(member_id: int, login_id: int) -> None:
    clerk = create_staff("paul.post", "Paul Post")
    now = clock.now()
    with db.unit_of_work() as s:
        letter_id = codes.issue_letter(s, s.get(Member, member_id), "invitation", now)
        letter = s.get(Letter, letter_id)
        letter.status = LetterStatus.PRINTED
        reference = letter.reference
    with db.unit_of_work() as s:
        case_id = returned_mail.register_return(s, reference, clerk.staff_id, now).case_id
    with db.unit_of_work() as s:
        returned_mail.record_address(s, case_id, clerk.staff_id, {"street": "Neue Gasse 7", "postcode": "3011",
                                                                   "town": "Bern"}, now)
    with db.unit_of_work() as s:  # four eyes: another staff member approves the new address, as shown to them
        seen = returned_mail.case_facts(s, s.get_one(Case, case_id), now).waiting_key
        desk.approve(s, case_id, create_staff("vera.vier", "Vera Vier").staff_id, "", now,
                     returned_mail.AddressSeen(seen))
    form = support.SupportRequest("other", "Where is my letter?", "Nina", "nina@sommer.ch", "en")
    with db.unit_of_work() as s:
        support.submit(s, form, now, login_id=login_id, member_id=member_id)
    with db.unit_of_work() as s:
        support_case = s.scalar(select(Case.id).where(Case.kind == "support"))
        support.answer(s, support_case, clerk.staff_id, "It is on its way.", now)
    with db.unit_of_work() as s:
        desk.close(s, support_case, clerk.staff_id, "", now)


def test_r18_administrators_see_what_staff_did_to_their_member(app):
    member_id = make_member("910100", "Sommer Transport AG")
    login_id, secret = make_login(member_id, "Nina Sommer", "nina@sommer.ch", ALL)
    _staff_work_on(member_id, login_id)
    client = log_in(app, "910100", "nina@sommer.ch", login_id, secret)
    page = text(client.get("/portal/admin/history"))
    for line in ("A letter to your company came back undelivered; its registration code no longer works.",
                 "Compensation fund staff made an unused registration code invalid.",
                 "Compensation fund staff corrected your company's postal address: street, postcode.",
                 ("Compensation fund staff recorded a new postal address for your company (street, postcode); it is "
                  "used once a second staff member has approved it."),
                 "Compensation fund staff approved a request or matter about your company.",
                 "A registration code was sent by post to the address on file.",
                 "Compensation fund staff answered a support request by e-mail.",
                 "Compensation fund staff closed a matter about your company."):
        assert line in page, "|".join(re.findall(r"<td[^>]*>([^<]*)</td>", page))
    assert "paul.post" not in page and "Paul Post" not in page and "Security event:" not in page


def test_r18_the_history_speaks_the_administrators_language(app):
    member_id = make_member("910200", "Sommer Transport AG")
    login_id, secret = make_login(member_id, "Nina Sommer", "nina@sommer.ch", ALL)
    _staff_work_on(member_id, login_id)
    client = log_in(app, "910200", "nina@sommer.ch", login_id, secret)
    page = text(client.get("/portal/admin/history?lang=de"))
    assert "Mitarbeitende der Ausgleichskasse haben die Postadresse Ihres Unternehmens berichtigt" in page
    assert "Compensation fund staff" not in page


def test_r18_the_register_of_signatories_shows_as_the_funds_work(app):
    """Signatories decide who may ask the fund for a login (R16): administrators see each change, staff and the
    operators' import alike labelled as the fund, never as an unknown or a raw event name."""
    member_id = make_member("910300", "Sommer Transport AG")
    login_id, secret = make_login(member_id, "Nina Sommer", "nina@sommer.ch", ALL)
    now = clock.now()
    with db.unit_of_work() as s:
        entry = signatories.Entry("Hans Sommer", "Präsident", "sole", None, None, date(2026, 1, 5))
        added = signatories.add(s, "staff:paul.post", member_id, entry, now)
        signatories.end(s, "staff:paul.post", member_id, added, date(2026, 2, 28), now)
        signatories.import_rows(s, [SignatoryRow(2, "910300", "Eva Sommer", "Direktorin", "collective_two", None,
                                                 None, date(2026, 1, 5))], now)
    client = log_in(app, "910300", "nina@sommer.ch", login_id, secret)
    page = text(client.get("/portal/admin/history"))
    assert page.count("Compensation fund staff recorded an authorised signatory of your company from the "
                      "commercial register.") == 2
    assert ("Compensation fund staff recorded the end of a signing authority in your company's register of "
            "signatories (last day 28.02.2026).") in page
    assert "Security event:" not in page and "someone who was not logged in" not in page
    assert "paul.post" not in page


def test_r2_r18_a_code_replaced_by_a_newer_one_shows_in_the_members_history(app):
    member_id = make_member("910300", "Sommer Transport AG")
    login_id, secret = make_login(member_id, "Nina Sommer", "nina@sommer.ch", ALL)
    with db.unit_of_work() as s:
        codes.issue_letter(s, s.get(Member, member_id), "new_code", clock.now())
    with db.unit_of_work() as s:
        codes.issue_letter(s, s.get(Member, member_id), "new_code", clock.now())  # R2: voids the first
    client = log_in(app, "910300", "nina@sommer.ch", login_id, secret)
    page = text(client.get("/portal/admin/history"))
    assert "made an unused registration code invalid." in page, "|".join(re.findall(r"<td[^>]*>([^<]*)</td>", page))
