"""Situation 2, R17 on real PostgreSQL: a member with no active administrator asks, on the public form or
through the API, for named old logins to be deactivated. The request becomes the R17 case: a clerk sees the
listed names matched against the member's logins and confirms them, another staff member approves (four eyes).
Bad input is named field by field and writes nothing; the public status reads as for any request (R21)."""

from __future__ import annotations

import html
import re

import pytest
from registrations_support import add_login
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, log_in, make_app, make_member

from core import clock, db
from core.desk import desk, rejections, requests, stale_logins
from core.domain.states import LoginStatus, RequestStatus
from core.models import Case, History, Letter, Login, OutboxMessage, Request

ADMIN = ["administration", "correspondence"]
FORM = {"member_number": "100200", "uid": "CHE-100.155.212", "company_name": "Muster Holzbau AG",
        "requester_name": "Hans Muster", "requester_role": "Owner", "requester_email": "hans@muster.ch",
        "requester_phone": "", "reason": "Both have left the company."}
BODY = {"kind": "stale_logins", "member_number": "100200", "uid": "CHE-100.155.212",
        "company_name": "Muster Holzbau AG", "reason": "Both have left the company.",
        "requester": {"name": "Hans Muster", "role": "Owner", "email": "hans@muster.ch"},
        "logins": [{"first_name": "Paolo", "last_name": "Neri"}, {"email": "GINA@muster.ch"}]}


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def member(pg):
    return make_member("100200", language="it")


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _decide_all() -> None:
    with db.unit_of_work() as s:
        ids = s.scalars(select(Request.id).order_by(Request.id)).all()
    for request_id in ids:
        with db.unit_of_work() as s:
            requests.decide(s, request_id, clock.now())


def _form_page(client) -> str:
    page = client.get("/requests/old-logins?lang=en")
    assert page.status_code == 200
    return csrf(page.data)


def test_r17_the_form_is_linked_from_the_home_and_new_code_pages(app):
    client = english_client(app)
    for path in ("/", "/requests/new-code"):
        assert 'href="/requests/old-logins"' in client.get(path).data.decode()


def test_r17_web_form_stores_the_request_with_the_listed_logins_and_feeds_the_case(app, member):
    paolo = add_login(member, "Paolo Neri", ["correspondence"])
    gina = add_login(member, "Gina Rossi", ["invoices"], email="gina@muster.ch")
    add_login(member, "Ugo Verdi", ["correspondence"])
    client = english_client(app)
    token = _form_page(client)
    sent = client.post("/requests/old-logins", data={
        **FORM, "csrf_token": token, "rows": "3", "action": "send",
        "login-0-first_name": "paolo", "login-0-last_name": "NERI", "login-1-email": "gina@muster.ch"})
    assert sent.status_code == 303 and re.fullmatch(r"/requests/R-[0-9A-Z]{4}-[0-9A-Z]{4}/received",
                                                    sent.headers["Location"])
    received = html.unescape(client.get(sent.headers["Location"]).data.decode())
    assert "deactivates the logins you listed" in received
    with db.unit_of_work() as s:
        stored = s.scalars(select(Request)).one()
        assert (stored.kind, stored.details) == ("stale_logins", {"logins": [
            {"first_name": "paolo", "last_name": "NERI", "email": ""},
            {"first_name": "", "last_name": "", "email": "gina@muster.ch"}]})
    _decide_all()
    with db.unit_of_work() as s:
        case = s.scalars(select(Case)).one()
        assert (case.kind, case.member_id, case.recorded_by) == ("stale_logins", member, None)
        assert sorted(case.payload["proposed_ids"]) == sorted([paolo, gina])
        assert case.why == stale_logins.stale_rules.NO_ADMINISTRATOR_WHY
    assert _count(OutboxMessage, OutboxMessage.key.like("%request-received%")) == 1  # the acknowledgement


def test_r17_bad_rows_are_named_one_by_one_and_nothing_is_written(app, member):
    client = english_client(app)
    token = _form_page(client)
    page = client.post("/requests/old-logins", data={
        **FORM, "uid": "CHE-123.456.789", "reason": "", "csrf_token": token, "rows": "3", "action": "send",
        "login-0-first_name": "Paolo", "login-2-email": "not-an-address"})
    text = html.unescape(page.data.decode())
    assert page.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S).group(0)
    assert re.findall(r'href="#([a-z0-9_-]+)"', summary) == ["uid", "reason", "login-0-last_name", "login-2-email"]
    assert "Enter the person's last name too, or the e-mail address of the login" in text
    assert "Enter an e-mail address in the correct format" in text
    assert 'value="Paolo"' in text and 'value="not-an-address"' in text  # what was typed is kept
    empty = client.post("/requests/old-logins", data={**FORM, "csrf_token": token, "rows": "3", "action": "send"})
    assert empty.status_code == 422 and "List at least one login to deactivate" in empty.data.decode()
    assert _count(Request) == 0 and _count(OutboxMessage) == 0


def test_r17_a_name_too_long_is_named_in_the_pages_language(app, member):
    client = english_client(app)
    token = _form_page(client)
    page = client.post("/requests/old-logins?lang=fr", data={
        **FORM, "csrf_token": token, "rows": "3", "action": "send", "login-0-first_name": "P" * 101,
        "login-0-last_name": "Neri"})
    assert page.status_code == 422
    assert "Un nom ne peut pas dépasser 100 caractères" in html.unescape(page.data.decode())
    assert _count(Request) == 0


def test_r17_a_row_can_be_added_without_javascript_up_to_twenty(app, member):
    client = english_client(app)
    token = _form_page(client)
    page = client.post("/requests/old-logins", data={**FORM, "csrf_token": token, "rows": "3", "action": "add",
                                                      "login-0-email": "gina@muster.ch"})
    text = page.data.decode()
    assert page.status_code == 200 and 'id="login-3-first_name"' in text and 'value="gina@muster.ch"' in text
    full = client.post("/requests/old-logins", data={**FORM, "csrf_token": token, "rows": "20", "action": "add"})
    assert 'id="login-19-email"' in full.data.decode() and 'id="login-20-email"' not in full.data.decode()
    assert _count(Request) == 0


def test_r17_a_crafted_form_with_more_than_twenty_logins_is_refused_not_cut(app, member):
    client = english_client(app)
    token = _form_page(client)
    rows = {f"login-{n}-email": f"p{n}@muster.ch" for n in range(25)}
    page = client.post("/requests/old-logins", data={**FORM, **rows, "csrf_token": token, "rows": "500",
                                                      "action": "send"})
    assert page.status_code == 422 and "List at most 20 logins in one request" in page.data.decode()
    assert _count(Request) == 0
    for rows_field in ("-1", "abc", "99999999"):
        odd = client.post("/requests/old-logins", data={**FORM, "csrf_token": token, "rows": rows_field,
                                                         "action": "send", "login-0-email": "p@muster.ch"})
        assert odd.status_code == 303, rows_field
    assert _count(Request) == 3


def test_r17_api_accepts_the_kind_and_names_each_bad_field(app, member):
    client = app.test_client()
    answer = client.post("/api/v1/requests", json=BODY)
    assert answer.status_code == 202 and answer.get_json()["status"] == "received"
    bad = client.post("/api/v1/requests", json={
        **BODY, "administrators_cannot_help": True,
        "logins": [{"first_name": "Paolo"}, {"email": "x"}, {"first_name": "", "last_name": "", "email": ""},
                   {"nickname": "Pablo"}]})
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {
        "administrators_cannot_help": "Unknown field.",
        "logins.0.last_name": "Enter the person's last name too, or the e-mail address of the login",
        "logins.1.email": "Enter an e-mail address in the correct format, like name@example.ch",
        "logins.2.first_name": "Enter the person's first and last name, or the e-mail address of the login",
        "logins.3": "Send the logins as a list of objects with first_name, last_name and email"}
    too_many = client.post("/api/v1/requests", json={**BODY, "logins": [{"email": f"p{n}@muster.ch"}
                                                                       for n in range(21)]})
    none = client.post("/api/v1/requests", json={**BODY, "logins": []})
    assert too_many.get_json()["fields"] == {"logins": "List at most 20 logins in one request"}
    assert none.get_json()["fields"] == {"logins": "List at least one login to deactivate"}
    assert _count(Request) == 1  # only the good one


def test_r17_openapi_documents_the_kind(app):
    from openapi_spec_validator import validate

    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["StaleLoginsRequest"]["properties"]["logins"]["maxItems"] == 20
    assert "stale_logins" in schemas["RequestStatus"]["properties"]["kind"]["enum"]


def test_r17_clerk_confirms_the_matched_logins_and_another_approves(app, member):
    paolo = add_login(member, "Paolo Neri", ["correspondence"])
    gina = add_login(member, "Gina Rossi", ["invoices"], email="gina@muster.ch")
    add_login(member, "Ugo Verdi", ["correspondence"])
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    assert app.test_client().post("/api/v1/requests", json=BODY).status_code == 202
    _decide_all()
    with db.unit_of_work() as s:
        case_id = s.scalars(select(Case.id)).one()
    with pytest.raises(desk.CannotApprove, match="confirm which"), db.unit_of_work() as s:
        desk.approve(s, case_id, boss.staff_id, "", clock.now())  # nobody has confirmed yet

    clerk = english_client(app)
    log_in(clerk, anna)
    page = clerk.get(f"/staff/cases/{case_id}")
    text = html.unescape(page.data.decode())
    assert "Paolo Neri – matches: Paolo Neri" in text
    assert "GINA@muster.ch – matches: Gina Rossi" in text  # e-mail compared without case
    ticked = re.findall(r'name="confirm-logins" id="confirm-logins-(\d+)" value="\d+"( checked)?', text)
    assert [(int(i), bool(c)) for i, c in ticked] == [(gina, True), (paolo, True), (paolo + 2, False)]
    confirmed = clerk.post(f"/staff/cases/{case_id}/stale-logins/confirm",
                           data={"confirm-csrf_token": csrf(page.data), "confirm-logins": [str(paolo), str(gina)]})
    assert confirmed.status_code == 303
    with pytest.raises(desk.DeskError), db.unit_of_work() as s:
        desk.approve(s, case_id, anna.staff_id, "", clock.now())  # the clerk who confirmed: never the approver
    with db.unit_of_work() as s:
        desk.approve(s, case_id, boss.staff_id, "", clock.now())
    with db.unit_of_work() as s:
        states = dict(s.execute(select(Login.name, Login.status).where(Login.member_id == member)).all())
        assert states == {"Paolo Neri": LoginStatus.DEACTIVATED, "Gina Rossi": LoginStatus.DEACTIVATED,
                          "Ugo Verdi": LoginStatus.ACTIVE}
        assert s.scalars(select(Request.status)).one() == RequestStatus.COMPLETED
        assert s.scalar(select(func.count()).select_from(History).where(History.event == "case.recorded")) == 1
    assert _count(Letter, Letter.kind == "logins_deactivated") == 1


def test_r17_with_an_active_administrator_the_case_cannot_be_confirmed(app, member):
    add_login(member, "Maria Bianchi", ADMIN)
    paolo = add_login(member, "Paolo Neri", ["correspondence"])
    anna = create_staff("anna.muster", "Anna Muster")
    app.test_client().post("/api/v1/requests", json=BODY)
    _decide_all()
    with db.unit_of_work() as s:
        case = s.scalars(select(Case)).one()
        case_id, why = case.id, case.why
    assert "active administrator" in why
    with pytest.raises(stale_logins.Refused, match=r"active administrator \(Maria Bianchi\)"), \
            db.unit_of_work() as s:
        stale_logins.confirm(s, case_id, anna.staff_id, [paolo], clock.now())
    clerk = english_client(app)
    log_in(clerk, anna)
    text = html.unescape(clerk.get(f"/staff/cases/{case_id}").data.decode())
    assert "This member has an active administrator (Maria Bianchi)" in text and "confirm-logins" not in text
    french = html.unescape(clerk.get(f"/staff/cases/{case_id}?lang=fr").data.decode())
    assert "qui désactive lui-même les logins : refuser et en informer l'affilié" in french  # the case's reason
    assert "who deactivates logins" not in french
    assert _count(Login, Login.status == LoginStatus.DEACTIVATED) == 0


def test_r17_a_number_not_in_the_register_offers_nothing_to_confirm_and_says_what_to_do(app, pg):
    anna = create_staff("anna.muster", "Anna Muster")
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    app.test_client().post("/api/v1/requests", json={**BODY, "member_number": "999999"})
    _decide_all()
    with db.unit_of_work() as s:
        case = s.scalars(select(Case)).one()
        case_id, member_id = case.id, case.member_id
    assert member_id is None
    for person in (anna, boss):
        staff = english_client(app)
        log_in(staff, person)
        text = html.unescape(staff.get(f"/staff/cases/{case_id}").data.decode())
        assert "Paolo Neri – <strong>no login of this member matches</strong>" in text
        assert "No member with this number in the register – reject, or correct the register first." in text
        assert "None confirmed yet." in text
        assert "Confirm the logins" not in text and "Approve</h3>" not in text
        # the new-code form's question means nothing on this kind of request
        assert "Administrators cannot help" not in text and "Active administrators" not in text
    assert "Reject the request</button>" in text  # the supervisor's page, the last one read


def told_reference(mail: dict) -> str:
    return re.search(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}", mail["subject"]).group(0)


def test_r17_rejected_before_any_clerk_confirmed_the_letter_names_the_logins_as_the_member_listed_them(app, member):
    """R1, R17: rejecting a member's own request at once still tells the member which request it was."""
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    app.test_client().post("/api/v1/requests", json=BODY)
    _decide_all()
    with db.unit_of_work() as s:
        case_id = s.scalars(select(Case.id)).one()
    with db.unit_of_work() as s:
        told = desk.reject(s, case_id, boss.staff_id, "Both still work for you.", clock.now())
    with db.unit_of_work() as s:
        letter_id = s.scalars(select(Letter.id).where(Letter.reference == told.letter_reference)).one()
        facts = rejections.letter_facts(s, letter_id)
    assert (facts.topic, facts.names, facts.reason) == ("stale_logins", "Paolo Neri, GINA@muster.ch",
                                                        "Both still work for you.")
    with db.unit_of_work() as s:  # the requester hears of this request, not of a code (in the request's language)
        [mail] = s.scalars(select(OutboxMessage.args).where(OutboxMessage.key.like("%case-rejected%"))).all()
    assert mail["to"] == "hans@muster.ch" and mail["subject"] == "Ihre Anfrage " + told_reference(mail) \
        + " zur Deaktivierung alter Logins"
    assert "Auf Grund dieser Anfrage können wir keine Logins deaktivieren." in mail["body"]
    assert "code" not in mail["body"].lower()


def test_r21_the_same_request_sent_again_joins_the_open_case_and_ends_with_it(app, member):
    """A replayed or doubled request does not put another case before the fund's staff; a different one does."""
    boss = create_staff("beat.keller", "Beat Keller", role="supervisor")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/api/v1/requests", json=BODY).status_code == 202
    assert client.post("/api/v1/requests", json={**BODY, "logins": [{"email": "ugo@muster.ch"}]}).status_code == 202
    _decide_all()
    with db.unit_of_work() as s:
        cases = s.scalars(select(Case).order_by(Case.id)).all()
        assert len(cases) == 2
        first_id = cases[0].id
        joined = s.scalars(select(History.detail).where(History.case_id == first_id,
                                                        History.event == "case.request_joined")).all()
        assert len(joined) == 2
        assert set(s.scalars(select(Request.status))) == {RequestStatus.IN_REVIEW}
    with db.unit_of_work() as s:
        desk.reject(s, first_id, boss.staff_id, "Both still work for you.", clock.now())
    with db.unit_of_work() as s:
        statuses = s.execute(select(Request.reference, Request.status).order_by(Request.id)).all()
    assert [status for _, status in statuses] == [RequestStatus.COMPLETED] * 3 + [RequestStatus.IN_REVIEW]
    assert sorted(joined) == sorted(reference for reference, _ in statuses[1:3])


def test_r21_old_logins_status_is_the_same_for_a_member_with_and_without_administrators(app, pg):
    make_member("100200", language="it")
    other = make_member("100300", name="Beispiel AG", uid="CHE-109.322.551")
    add_login(other, "Maria Bianchi", ADMIN)
    client = app.test_client()
    references = [client.post("/api/v1/requests", json={**BODY, **changes}).get_json()["reference"]
                  for changes in ({}, {"member_number": "100300", "uid": "CHE-109.322.551"},
                                  {"member_number": "999999"})]
    _decide_all()
    seen = []
    for reference in references:
        page = client.get(f"/requests/{reference}?lang=en").data.decode().replace(reference, "REF")
        api = {**client.get(f"/api/v1/requests/{reference}").get_json(), "reference": "REF"}
        seen.append((page, api))
    assert seen[0] == seen[1] == seen[2]
    assert "Deactivating logins of people who have left" in seen[0][0]
