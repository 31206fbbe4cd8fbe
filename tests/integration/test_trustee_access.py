"""Trustee access on real PostgreSQL (R10, R13, R14, R18): the administrator opens access for a trustee (new or
existing login), the trustee signs in and acts for one member at a time, and loses that member on the very next
request once the power of attorney or the mandate ends; the administrator sees and revokes access."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from admin_support import ALL, log_in, make_login, make_member, next_otp, outbox_rows, text
from sqlalchemy import func, select
from trustee_support import UID_T, UID_U, grant, make_poa, make_trustee, make_trustee_login

from core import clock, db
from core.domain.states import LoginStatus, MandateStatus
from core.logins import invitations
from core.models import AuditEvent, Invitation, Login, Mandate, Trustee
from core.trustees import mandates, poa_register

A, B = "450100", "450200"
NEW_COMPANY = {"company": "new", "uid": UID_U, "company_name": "Neu Treuhand GmbH", "street": "Marktgasse 2",
               "po_box": "", "postcode": "3011", "town": "Bern", "company_language": "fr"}
PERSON = {"name": "Tom Treu", "email": "Tom@Neu.example", "mobile": "079 555 66 77", "language": "fr",
          "rights": ["salary_declarations", "correspondence"]}


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


@pytest.fixture
def team(app):
    member_a, member_b = make_member(A, "Muster Holzbau AG"), make_member(B, "Beispiel Bau AG")
    anna = make_login(member_a, "Anna Muster", "anna@muster.example", ALL)
    return {"a": member_a, "b": member_b, "anna": anna}


def anna(app, team):
    return log_in(app, A, "anna@muster.example", *team["anna"])


def _count(model) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model))


def _actions() -> list[str]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_r13_administrator_invites_a_person_of_a_new_trustee_company(app, team):
    client = anna(app, team)
    response = client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    assert response.status_code == 303, text(response)[:3000]
    with db.unit_of_work() as s:
        trustee = s.scalar(select(Trustee).where(Trustee.uid == UID_U))
        login = s.scalar(select(Login).where(Login.trustee_id == trustee.id))
        invitation = s.scalar(select(Invitation).where(Invitation.login_id == login.id))
        mandate = s.scalar(select(Mandate).where(Mandate.login_id == login.id))
        assert (login.member_id, login.status, login.email, login.rights) == (
            None, LoginStatus.PENDING, "tom@neu.example", [])
        assert invitation.member_id == team["a"] and mandate.member_id == team["a"]
        assert mandate.rights == ["salary_declarations", "correspondence"]
    assert {"trustee_created", "login.created", "invitation.sent", "mandate_granted"} <= set(_actions())
    printed = client.get(response.headers["Location"], follow_redirects=True)
    page = text(printed)
    assert "connect invitation for Tom Treu" in page
    assert "Once your login is set up, you can act for Muster Holzbau AG at once" in page
    assert "Access starts once the fund has recorded" not in page  # R14: way (a) does not wait for it
    assert f"member number {A}" in page


def test_r13_invited_trustee_sets_up_the_login_for_the_member_it_was_invited_for(app, team):
    client = anna(app, team)
    client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    now = clock.now()
    with db.unit_of_work() as s:
        invitation_id = s.scalar(select(Invitation.id).order_by(Invitation.id.desc()).limit(1))
        message = invitations.mail_for(s, invitation_id, now)
        assert message is not None and "Muster Holzbau AG" in message.get_content() and A in message.get_content()
        shown = invitations.invitee(s, invitation_id, now)
        assert (shown.company_name, shown.member_number) == ("Muster Holzbau AG", A)
        assert invitations.set_password(s, invitation_id, "Lärchenwald im Abendlicht", now) is None
        assert invitations.enrolment(s, invitation_id, now).member_number == A


def test_r13_existing_trustee_login_gets_the_mandate_not_a_second_login(app, team):
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, _ = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    make_poa(team["a"], trustee, ["salary_declarations"])  # the fund knows the company from a power of attorney
    logins_before, invitations_before = _count(Login), _count(Invitation)
    client = anna(app, team)
    response = client.post("/portal/admin/trustees/new", data={
        "company": str(trustee), **PERSON, "name": "Tina Treu", "email": "TINA@fidu.example"})
    assert response.status_code == 303
    assert (_count(Login), _count(Invitation)) == (logins_before, invitations_before)
    with db.unit_of_work() as s:
        assert s.scalar(select(Mandate.login_id).where(Mandate.member_id == team["a"])) == login_id
    flashed = text(client.get("/portal/admin/trustees/"))
    assert "Tina Treu already has a login at this company" in flashed
    assert "Fidu Treuhand AG" in flashed and "Salary declarations" in flashed


@pytest.mark.parametrize(("changes", "message"), [
    ({"uid": "CHE-100.000.007"}, "'CHE-100.000.007' is not a valid UID"),
    ({"postcode": "30"}, "is not a 4-digit Swiss postcode"),
    ({"rights": ["flying"]}, "Choose rights from the list only."),
])
def test_r19_bad_company_or_rights_store_nothing(app, team, changes, message):
    before = (_count(Trustee), _count(Login), _count(Mandate), _count(Invitation), _count(AuditEvent))
    client = anna(app, team)
    response = client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON, **changes})
    assert response.status_code == 422
    assert message in text(response) or message.lower() in text(response).lower()
    after = (_count(Trustee), _count(Login), _count(Mandate), _count(Invitation), _count(AuditEvent))
    assert after[:4] == before[:4] and after[4] == before[4] + 1  # only the sign-in was audited


def test_r10_administrator_grants_a_trustee_only_rights_they_hold(app, team):
    limited = make_login(team["a"], "Lia Limit", "lia@muster.example", ["administration", "salary_declarations"])
    client = log_in(app, A, "lia@muster.example", *limited)
    response = client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    assert response.status_code == 422 and "Correspondence" in text(response)
    assert _count(Mandate) == 0


def _trustee_client(app, team, rights=("salary_declarations",), way="a"):
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, secret = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    poa_id = make_poa(team["a"], trustee, list(rights))
    mandate_id = grant(login_id, team["a"], list(rights), way=way)
    client = log_in(app, A, "tina@fidu.example", login_id, secret)
    return client, {"trustee": trustee, "login": login_id, "poa": poa_id, "mandate": mandate_id}


def test_r13_trustee_with_one_member_goes_straight_in_and_sees_whom_it_acts_for(app, team):
    client, _ = _trustee_client(app, team)
    home = client.get("/portal/", follow_redirects=True)
    page = text(home)
    assert home.request.path == "/portal/"
    assert f"Acting for <strong>Muster Holzbau AG, {A}</strong>" in page and "Switch company" in page


def test_r13_trustee_signs_in_with_its_company_uid(app, team):
    _, made = _trustee_client(app, team)
    client = app.test_client()
    first = client.post("/login", data={"member_number": UID_T, "email": "tina@fidu.example",
                                        "password": "Lärchenwald im Abendlicht"})
    assert first.status_code == 303
    with db.unit_of_work() as s:
        secret_row = s.get(Login, made["login"])
        from core import secrets_box

        secret = secrets_box.decrypt(secret_row.totp_secret)
    second = client.post("/login/second-step", data={"otp": next_otp(made["login"], secret)})
    assert second.status_code == 303


def _ended(client) -> str:
    response = client.get("/portal/")
    assert response.status_code == 302 and "/portal/acting-for" in response.headers["Location"]
    return text(client.get(response.headers["Location"]))


def test_r14_revoked_power_stops_way_b_access_on_the_next_request(app, team):
    client, made = _trustee_client(app, team, way="b")
    assert client.get("/portal/", follow_redirects=True).request.path == "/portal/"
    with db.unit_of_work() as s:
        poa_register.revoke(s, made["poa"], "letter of today", "staff:test", clock.now())
    page = _ended(client)
    assert "You can no longer act for this company" in page
    assert "You cannot act for any company at the moment." in page


def test_r14_power_ended_yesterday_gives_way_b_no_access(app, team):
    trustee = make_trustee(UID_T)
    login_id, _ = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    today = clock.today_in_zurich(clock.now())
    make_poa(team["a"], trustee, ["correspondence"], today - timedelta(days=30), today - timedelta(days=1))
    grant(login_id, team["a"], ["correspondence"], way="b")
    with db.unit_of_work() as s:
        assert mandates.active_rights(s, login_id, team["a"], clock.now()) == frozenset()
        assert mandates.members_of(s, login_id, clock.now()) == []


def test_r13_administrator_sees_and_revokes_a_trustee_who_is_told_by_email(app, team):
    trustee_client, made = _trustee_client(app, team)
    assert trustee_client.get("/portal/", follow_redirects=True).request.path == "/portal/"
    client = anna(app, team)
    listing = text(client.get("/portal/admin/trustees/"))
    today = clock.today_in_zurich(clock.now())
    assert "Fidu Treuhand AG" in listing and "Tina Treu" in listing
    assert "Yes, until the power of attorney is revoked" in listing and "No end date: until you revoke it" in listing
    assert re.search(rf"Access since</dt>\s*<dd>{today.strftime('%d.%m.%Y')}", listing)
    asked = text(client.get(f"/portal/admin/trustees/{made['mandate']}/revoke"))
    assert "Revoke access of Tina Treu" in asked and "They are told by e-mail" in asked
    assert "mandate_revoked" not in _actions()  # asking is not doing
    response = client.post(f"/portal/admin/trustees/{made['mandate']}/revoke")
    assert response.status_code == 303
    assert "The access of Tina Treu has been revoked" in text(client.get("/portal/admin/trustees/"))
    mails = [row.args for row in outbox_rows("mail.send") if row.args["to"] == "tina@fidu.example"]
    assert len(mails) == 1 and "Muster Holzbau AG" in mails[0]["subject"]
    assert "mandate_revoked" in _actions()
    assert "You can no longer act for this company" in _ended(trustee_client)


def test_r13_administrator_cannot_revoke_another_members_mandate(app, team):
    trustee = make_trustee(UID_T)
    login_id, _ = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    mandate_b = grant(login_id, team["b"], ["correspondence"])
    client = anna(app, team)
    assert client.post(f"/portal/admin/trustees/{mandate_b}/revoke").status_code == 404
    assert client.get(f"/portal/admin/trustees/{mandate_b}/invitation").status_code == 404
    with db.unit_of_work() as s:
        assert s.get(Mandate, mandate_b).status == MandateStatus.ACTIVE


def test_r14_new_page_says_the_access_does_not_wait_for_a_power_of_attorney(app, team):
    client = anna(app, team)
    page = text(client.get("/portal/admin/trustees/new"))
    assert "Another company" in page and "Last day of access (optional)" in page
    assert re.search(r"can act for your company within the rights you choose as soon as the login is set up", page)
    assert "Access starts once the fund has recorded" not in page


def _invitation_of(email: str) -> Invitation:
    with db.unit_of_work() as s:
        found = s.scalar(select(Invitation).join(Login, Login.id == Invitation.login_id)
                         .where(Login.email == email).order_by(Invitation.id.desc()).limit(1))
        s.expunge(found)
        return found


def test_r13_administrator_resends_and_cancels_a_trustee_invitation(app, team):
    client = anna(app, team)
    client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    first = _invitation_of("tom@neu.example")
    assert "tom@neu.example" in text(client.get("/portal/admin/"))
    assert client.post(f"/portal/admin/invitations/{first.id}/resend").status_code == 303
    again = _invitation_of("tom@neu.example")
    assert again.id != first.id and again.member_id == team["a"]
    assert client.post(f"/portal/admin/invitations/{again.id}/cancel").status_code == 303
    with db.unit_of_work() as s:
        login = s.get(Login, again.login_id)
        assert login.status == LoginStatus.DEACTIVATED
        assert s.scalar(select(Mandate.status).where(Mandate.login_id == login.id)) == MandateStatus.REVOKED


def test_r13_cancelling_one_members_invitation_keeps_another_members_mandate(app, team):
    client = anna(app, team)
    client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    login_id = _invitation_of("tom@neu.example").login_id
    grant(login_id, team["b"], ["correspondence"])  # member B gave the same person access meanwhile
    client.post(f"/portal/admin/invitations/{_invitation_of('tom@neu.example').id}/cancel")
    with db.unit_of_work() as s:
        assert s.get(Login, login_id).status == LoginStatus.PENDING
        statuses = dict(s.execute(select(Mandate.member_id, Mandate.status)
                                  .where(Mandate.login_id == login_id)).tuples().all())
    assert statuses == {team["a"]: MandateStatus.REVOKED, team["b"]: MandateStatus.ACTIVE}


def test_r13_pending_trustee_gets_a_fresh_invitation_for_the_next_member(app, team):
    client = anna(app, team)
    client.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    first = _invitation_of("tom@neu.example")
    carla = make_login(team["b"], "Carla Rossi", "carla@beispiel.example", ALL)
    other = log_in(app, B, "carla@beispiel.example", *carla)
    trustee_id = _trustee_id(UID_U)
    response = other.post("/portal/admin/trustees/new", data={**NEW_COMPANY, **PERSON})
    assert response.status_code == 303
    latest = _invitation_of("tom@neu.example")
    assert latest.login_id == first.login_id and latest.member_id == team["b"]
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Login).where(Login.trustee_id == trustee_id)) == 1


def _trustee_id(uid: str) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(Trustee.id).where(Trustee.uid == uid))
