"""Situation 3a on real PostgreSQL (R13, R14, R18, R23): the access an administrator opens for a trustee is the
member's own grant, works from registration without a power of attorney until revoked or its end date; a way (b)
access (a fund code) depends on a current power until an administrator confirms it; the administrator sends a
power of attorney through the portal, staff record or reject it on the desk, and the portal shows per trustee
whether the fund may inform it and until when."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import pikepdf
import pytest
from admin_support import ALL, log_in, make_login, make_member, outbox_rows, text
from sqlalchemy import func, select
from trustee_support import UID_T, grant, make_poa, make_trustee, make_trustee_login

from core import clock, db, mail
from core.desk import desk
from core.desk import staff as staff_service
from core.domain.mandates import ZURICH
from core.domain.states import CaseStatus
from core.logins import invitations
from core.models import AuditEvent, Case, Document, Invitation, Login, Mandate, PowerOfAttorney
from core.trustees import poa_register, poa_reminders
from web.i18n import translate

A = "470100"
COMPANY = {"company": "new", "uid": UID_T, "company_name": "Fidu Treuhand AG", "street": "Seestrasse 5",
           "po_box": "", "postcode": "8000", "town": "Zürich", "company_language": "de"}
PERSON = {"name": "Tina Treu", "email": "tina@fidu.example", "mobile": "079 555 66 77", "language": "en",
          "rights": ["salary_declarations", "correspondence"]}


def pdf_bytes(pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


@pytest.fixture
def team(app):
    member = make_member(A, "Muster Holzbau AG")
    return {"a": member, "anna": make_login(member, "Anna Muster", "anna@muster.example", ALL)}


@pytest.fixture
def tina(team):
    """Fidu's Tina, with a login at her company already: the administrator's grant is added to it."""
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, secret = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    return {"trustee": trustee, "login": login_id, "secret": secret}


def anna(app, team):
    return log_in(app, A, "anna@muster.example", *team["anna"])


def _today() -> date:
    return clock.today_in_zurich(clock.now())


def _open(client, **changes) -> int:
    response = client.post("/portal/admin/trustees/new", data={**COMPANY, **PERSON, **changes})
    assert response.status_code == 303, text(response)[:3000]
    return int(re.search(r"/admin/trustees/(\d+)/invitation", response.headers["Location"]).group(1))


def _acts(app, tina) -> str:
    client = log_in(app, A, "tina@fidu.example", tina["login"], tina["secret"])
    home = client.get("/portal/", follow_redirects=True)
    assert home.request.path == "/portal/", text(home)[:2000]
    return text(home)


def _mandate(mandate_id: int) -> Mandate:
    with db.unit_of_work() as s:
        mandate = s.get_one(Mandate, mandate_id)
        s.expunge(mandate)
        return mandate


# --- 1. The access is the member's own grant --------------------------------------------------------------------


def test_r14_way_a_trustee_acts_at_once_without_any_power_of_attorney(app, team, tina):
    client = anna(app, team)
    mandate_id = _open(client)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(PowerOfAttorney)) == 0
    assert _mandate(mandate_id).way == "a"
    home = _acts(app, tina)
    assert f"Muster Holzbau AG, {A}" in home and "Salary declarations" in home and "Correspondence" in home


def test_r13_access_end_date_from_the_form_works_to_the_end_of_that_day_zurich(app, team, tina, monkeypatch):
    client = anna(app, team)
    last = _today() + timedelta(days=3)
    mandate_id = _open(client, valid_until=last.strftime("%d.%m.%Y"))
    assert _mandate(mandate_id).valid_until == last
    moment = {"now": datetime.combine(last, time(23, 59, 30), ZURICH)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    trustee = log_in(app, A, "tina@fidu.example", tina["login"], tina["secret"])
    assert trustee.get("/portal/", follow_redirects=True).request.path == "/portal/"
    moment["now"] = datetime.combine(last + timedelta(days=1), time.min, ZURICH)
    refused = trustee.get("/portal/support")  # enforced on the very next request, not by a job (like R11)
    assert refused.status_code == 302 and "/portal/acting-for" in refused.headers["Location"]
    assert "You cannot act for any company at the moment." in text(trustee.get(refused.headers["Location"]))


def test_r13_an_end_date_in_the_past_is_refused_and_nothing_is_stored(app, team, tina):
    client = anna(app, team)
    yesterday = (_today() - timedelta(days=1)).strftime("%d.%m.%Y")
    response = client.post("/portal/admin/trustees/new", data={**COMPANY, **PERSON, "valid_until": yesterday})
    assert response.status_code == 422 and "The end date cannot be in the past" in text(response)
    bad = client.post("/portal/admin/trustees/new", data={**COMPANY, **PERSON, "valid_until": "31.02.2026"})
    assert bad.status_code == 422 and "Enter a date like 31.03.2026" in text(bad)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Mandate)) == 0


def test_r13_administrator_sets_changes_and_removes_the_end_date_on_the_trustee_page(app, team, tina):
    client = anna(app, team)
    mandate_id = _open(client)
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert "No end date: until you revoke it" in page
    last = _today() + timedelta(days=30)
    saved = client.post(f"/portal/admin/trustees/{mandate_id}/end", data={"end-valid_until": last.strftime("%d.%m.%Y")})
    assert saved.status_code == 303
    assert _mandate(mandate_id).valid_until == last
    page = text(client.get(saved.headers["Location"]))
    assert f"The access of Tina Treu now ends after {last.strftime('%d.%m.%Y')}" in page
    assert f"End of {last.strftime('%d.%m.%Y')}" in page
    past = client.post(f"/portal/admin/trustees/{mandate_id}/end",
                       data={"end-valid_until": (_today() - timedelta(days=1)).strftime("%d.%m.%Y")})
    assert past.status_code == 422 and "The end date cannot be in the past" in text(past)
    assert _mandate(mandate_id).valid_until == last
    removed = client.post(f"/portal/admin/trustees/{mandate_id}/end", data={"end-valid_until": ""})
    assert removed.status_code == 303 and _mandate(mandate_id).valid_until is None
    with db.unit_of_work() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action == "mandate_end_set")))
    assert len(actions) == 2


def test_r14_way_b_access_ends_with_its_power_unless_an_administrator_confirms_it(app, team, tina):
    poa_id = make_poa(team["a"], tina["trustee"], ["correspondence"])
    mandate_id = grant(tina["login"], team["a"], ["correspondence"], way="b")
    client = anna(app, team)
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert "Confirm the access of Tina Treu" in page
    confirmed = client.post(f"/portal/admin/trustees/{mandate_id}/confirm")
    assert confirmed.status_code == 303
    mandate = _mandate(mandate_id)
    assert (mandate.way, mandate.confirmed_by) == ("a", f"login:{team['anna'][0]}")
    assert "Confirm the access of" not in text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    with db.unit_of_work() as s:
        poa_register.revoke(s, poa_id, "letter of today", "staff:test", clock.now())
    assert "Correspondence" in _acts(app, tina)  # the member's own grant now: the revoked power does not end it


def test_r14_way_b_access_without_confirmation_stops_with_its_power(app, team, tina):
    poa_id = make_poa(team["a"], tina["trustee"], ["correspondence"])
    grant(tina["login"], team["a"], ["correspondence"], way="b")
    with db.unit_of_work() as s:
        poa_register.revoke(s, poa_id, "letter of today", "staff:test", clock.now())
    client = log_in(app, A, "tina@fidu.example", tina["login"], tina["secret"])
    assert client.get("/portal/").status_code == 302


def test_r14_a_fund_code_does_not_turn_the_members_grant_into_way_b(app, team, tina):
    mandate_id = grant(tina["login"], team["a"], ["salary_declarations", "correspondence"])
    make_poa(team["a"], tina["trustee"], ["correspondence"])
    with db.unit_of_work() as s:
        from core.logins import registration_routes

        registration_routes.grant_trustee_mandate(s, s.get_one(Login, tina["login"]), team["a"], "login:x",
                                                  clock.now())
    mandate = _mandate(mandate_id)
    assert (mandate.way, mandate.rights) == ("a", ["salary_declarations", "correspondence"])


# --- 2. The administrator sends a power of attorney; staff record or reject it -----------------------------------


def _send(client, mandate_id: int, document: bytes | None = None, **changes):
    today = _today()
    data = {"poa-valid_from": today.strftime("%d.%m.%Y"),
            "poa-valid_until": (today + timedelta(days=365)).strftime("%d.%m.%Y"),
            "poa-scope": ["salary_declarations", "correspondence"], **changes}
    if document is not False:
        data["poa-document"] = (io.BytesIO(pdf_bytes() if document is None else document), "vollmacht.pdf")
    return client.post(f"/portal/admin/trustees/{mandate_id}/power-of-attorney", data=data,
                       content_type="multipart/form-data")


def _cases() -> list[Case]:
    with db.unit_of_work() as s:
        found = list(s.scalars(select(Case).where(Case.kind == "power_of_attorney").order_by(Case.id)))
        s.expunge_all()
        return found


def test_r14_administrator_sends_a_power_of_attorney_that_reaches_the_desk_as_a_case(app, team, tina):
    client = anna(app, team)
    mandate_id = _open(client)
    assert "No: no power of attorney recorded" in text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    response = _send(client, mandate_id)
    assert response.status_code == 303, text(response)[:3000]
    [case] = _cases()
    assert (case.status, case.member_id, case.payload["trustee_id"]) == (CaseStatus.OPEN, team["a"], tina["trustee"])
    assert case.payload["sent"]["scope"] == ["salary_declarations", "correspondence"]
    with db.unit_of_work() as s:
        assert s.get_one(Document, case.document_id).kind == "power_of_attorney"
        assert "power_of_attorney.sent" in s.scalars(select(AuditEvent.action)).all()
    with db.unit_of_work() as s:
        rows = desk.list_cases(s, desk.Filters(status=CaseStatus.OPEN, kind="power_of_attorney"))
    assert [row.id for row in rows.rows] == [case.id]
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert f"Waiting for the fund to record the power of attorney you sent on {_today().strftime('%d.%m.%Y')}" \
        in page


@pytest.mark.parametrize(("document", "changes", "message"), [
    (b"Hello, I am not a PDF", {}, "The document cannot be kept: the file is not a PDF."),
    (False, {}, "Choose the signed power of attorney (a PDF file)."),
    (None, {"poa-scope": []}, "Choose at least one right the power of attorney covers."),
    (None, {"poa-valid_until": "01.01.2020"}, "The end date must be on or after the start date."),
])
def test_r23_a_refused_power_of_attorney_names_the_problem_and_stores_nothing(app, team, tina, document, changes,
                                                                             message):
    client = anna(app, team)
    mandate_id = _open(client)
    response = _send(client, mandate_id, document, **changes)
    assert response.status_code == 422 and message in text(response)
    assert _cases() == []
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0


def _staff() -> int:
    with db.unit_of_work() as s:
        return staff_service.create(s, username="clara.clerk", name="Clara Clerk", email="clara@fund.example",
                                    role="clerk", password="Lärchenwald im Abendlicht", now=clock.now(),
                                    actor="test").staff_id


def test_r14_staff_record_the_power_and_the_portal_shows_until_when_the_fund_may_inform(app, team, tina):
    client = anna(app, team)
    mandate_id = _open(client)
    assert _send(client, mandate_id).status_code == 303
    [case] = _cases()
    with db.unit_of_work() as s:
        desk.approve(s, case.id, _staff(), "checked against the signature", clock.now())
    with db.unit_of_work() as s:
        poa = s.scalar(select(PowerOfAttorney))
        assert (poa.member_id, poa.trustee_id, poa.document_id) == (team["a"], tina["trustee"], case.document_id)
        assert poa.scope == ["salary_declarations", "correspondence"] and poa.recorded_by == "staff:clara.clerk"
        assert poa_register.may_inform(s, A, UID_T, clock.now()).allowed
    until = (_today() + timedelta(days=365)).strftime("%d.%m.%Y")
    assert f"Yes, until {until}" in text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert f"Yes, until {until}" in text(client.get("/portal/admin/trustees/"))


def test_r14_staff_reject_the_power_with_a_reason_the_administrators_see(app, team, tina):
    client = anna(app, team)
    mandate_id = _open(client)
    assert _send(client, mandate_id).status_code == 303
    [case] = _cases()
    with db.unit_of_work() as s:
        desk.reject(s, case.id, _staff(), "The PDF is not signed.", clock.now())
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(PowerOfAttorney)) == 0
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert f"The fund did not record the power of attorney you sent on {_today().strftime('%d.%m.%Y')}" in page
    assert "Reason: The PDF is not signed." in page and "No: no power of attorney recorded" in page


# --- 3., 4. What the portal and the e-mails say ------------------------------------------------------------------


def test_r13_r14_trustee_list_shows_the_access_and_separately_whether_the_fund_may_inform(app, team, tina):
    client = anna(app, team)
    last = _today() + timedelta(days=60)
    _open(client, valid_until=last.strftime("%d.%m.%Y"))
    page = text(client.get("/portal/admin/trustees/"))
    assert "Salary declarations, Correspondence" in page
    assert re.search(rf"Access since</dt>\s*<dd>{_today().strftime('%d.%m.%Y')}", page)
    assert f"End of {last.strftime('%d.%m.%Y')}" in page
    assert "May the fund give this trustee information?" in page and "No: no power of attorney recorded" in page
    assert "renew" not in page.lower()


def test_r14_invitation_email_says_the_trustee_acts_once_registered(app, team):
    client = anna(app, team)
    _open(client, email="tom@neu.example", name="Tom Treu")
    with db.unit_of_work() as s:
        invitation = s.scalar(select(Invitation).join(Login).where(Login.email == "tom@neu.example"))
        message = invitations.mail_for(s, invitation.id, clock.now())
    body = message.get_content()
    assert "You act for Muster Holzbau AG as a person at Fidu Treuhand AG" in body
    assert "as soon as your login is set up" in body and "power of attorney" not in body


ENDS = {"de": "endet dann ebenfalls", "fr": "prend également fin", "it": "termina in quella data",
        "en": "also ends then"}
STAYS = {"de": "ändert sich nicht", "fr": "ne change pas", "it": "non cambia", "en": "does not change"}


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_r14_reminder_speaks_of_access_ending_only_for_way_b(lang):
    context = {"member_name": "Muster Holzbau AG", "member_number": A, "trustee_name": "Fidu Treuhand AG",
               "trustee_uid": UID_T, "valid_until": "31.03.2026", "ends_from": "01.04.2026"}
    _, way_a = mail.render("poa_ending", lang, {**context, "access_ends": False})
    _, way_b = mail.render("poa_ending", lang, {**context, "access_ends": True})
    ends, stays = ENDS[lang], STAYS[lang]
    assert ends in way_b and stays not in way_b
    assert stays in way_a and ends not in way_a
    assert "renew" not in way_a.lower() and "membre" not in way_a and "membro" not in way_a


def test_r14_reminder_for_a_way_a_trustee_does_not_say_its_access_ends(app, team, tina):
    grant(tina["login"], team["a"], ["correspondence"])
    make_poa(team["a"], tina["trustee"], ["correspondence"], valid_until=_today() + timedelta(days=20))
    with db.unit_of_work() as s:
        assert poa_reminders.remind_expiring(s, clock.now()) >= 2
    bodies = [row.args["body"] for row in outbox_rows("mail.send")]  # the company's in German, Tina's in English
    assert bodies and all(any(stays in body for stays in STAYS.values()) for body in bodies)
    assert not any(ends in body for body in bodies for ends in ENDS.values())


def test_r14_the_desk_page_shows_the_sent_power_and_a_rejection_reaches_the_portal(app, team, tina):
    from staff_support import create_staff, csrf, english_client, make_app
    from staff_support import log_in as staff_log_in

    client = anna(app, team)
    mandate_id = _open(client)
    assert _send(client, mandate_id).status_code == 303
    [case] = _cases()
    desk_client = english_client(make_app())
    staff_log_in(desk_client, create_staff("clara.clerk", "Clara Clerk"))
    listing = text(desk_client.get("/staff/?kind=power_of_attorney"))
    assert "Power of attorney sent by a member" in listing
    page = desk_client.get(f"/staff/cases/{case.id}")
    shown = text(page)
    assert "The power of attorney, as the administrator sent it" in shown and "Anna Muster" in shown
    assert "vollmacht.pdf" in shown and "Record the power of attorney" in shown
    assert "Code entry stays blocked" not in shown and "not sent to the requester" not in shown
    document = desk_client.get(f"/staff/documents/{case.document_id}")
    assert document.status_code == 200 and document.data.startswith(b"%PDF-")
    rejected = desk_client.post(f"/staff/cases/{case.id}/reject", data={
        "reject-csrf_token": csrf(page.data), "reject-reason": "The signature is missing."})
    assert rejected.status_code == 303
    assert "the member's administrators see your reason" in text(desk_client.get(rejected.headers["Location"]))
    assert "Reason: The signature is missing." in text(client.get(f"/portal/admin/trustees/{mandate_id}"))


def test_r14_portal_says_when_the_power_on_record_ended_or_was_revoked(app, team, tina):
    client = anna(app, team)
    mandate_id = _open(client)
    today = _today()
    ended = make_poa(team["a"], tina["trustee"], ["correspondence"], today - timedelta(days=40),
                     today - timedelta(days=2))
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert f"No: the power of attorney on record ended on {(today - timedelta(days=2)).strftime('%d.%m.%Y')}" in page
    current = make_poa(team["a"], tina["trustee"], ["correspondence"], today - timedelta(days=1))
    assert "Yes, until the power of attorney is revoked" in text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    with db.unit_of_work() as s:
        poa_register.revoke(s, current, "letter of today", "staff:test", clock.now())
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}"))
    assert f"No: the power of attorney on record was revoked on {today.strftime('%d.%m.%Y')}" in page
    assert ended and "Tina Treu" in page  # the access itself goes on: way (a)


def test_r13_the_printable_invitation_is_offered_in_the_trustees_language_and_prints_without_inline_script(
        app, team):
    client = anna(app, team)  # Anna reads the portal in English
    mandate_id = _open(client, name="Luca Conti", email="luca@fidu.example", language="it")
    page = text(client.get(f"/portal/admin/trustees/{mandate_id}/invitation"))
    assert '<html lang="en">' in page and "To print it in the language of Luca Conti:" in page
    assert 'href="?lang=it"' in page and ">Italiano</a>" in page
    assert "javascript:" not in page and "<style>" not in page  # the Content-Security-Policy would block both
    assert "print.js" in page and "data-print" in page
    italian = text(client.get(f"/portal/admin/trustees/{mandate_id}/invitation?lang=it"))
    assert '<html lang="it">' in italian and translate("Trustee company", "it") in italian
    assert "To print it in the language" not in italian  # already in it
