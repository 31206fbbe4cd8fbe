"""Trustee access end to end on real PostgreSQL (R10, R11, R13, R14, R18): the power of attorney ends at Zurich
midnight on the very next request; a trustee's own pages (profile, security history, leaving) all work for it;
the member's administrators see in their history who was given access and with which rights, see a trustee
login that ended, and revoking an invited trustee closes its link; an administrator lacking a right neither adds
nor removes it when opening access again."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pyotp
import pytest
from admin_support import ALL, PASSWORD, log_in, make_login, make_member, outbox_rows, text
from sqlalchemy import select
from trustee_support import UID_T, UID_U, grant, make_poa, make_trustee, make_trustee_login

from core import clock, db
from core.clock import ZURICH
from core.domain.addresses import PostalAddress
from core.domain.states import InvitationStatus, LoginStatus
from core.logins import deactivation_sweep
from core.models import AuditEvent, Invitation, Login, Mandate

A, B = "470100", "470200"
TOM = {"company": "new", "uid": UID_U, "company_name": "Neu Treuhand GmbH", "street": "Marktgasse 2", "po_box": "",
       "postcode": "3011", "town": "Bern", "company_language": "de", "name": "Tom Treu", "email": "tom@neu.example",
       "mobile": "079 555 66 77", "language": "en", "rights": ["salary_declarations", "correspondence"]}


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


@pytest.fixture
def team(app):
    member_a, member_b = make_member(A, "Muster Holzbau AG"), make_member(B, "Beispiel Bau AG")
    anna = make_login(member_a, "Anna Muster", "anna@muster.example", ALL)
    carla = make_login(member_b, "Carla Rossi", "carla@beispiel.example", ALL)
    return {"a": member_a, "b": member_b, "anna": anna, "carla": carla}


@pytest.fixture
def tina(app, team):
    """Fidu's Tina, acting for member A with a current power of attorney for salary declarations."""
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, secret = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    make_poa(team["a"], trustee, ["salary_declarations"])
    mandate_id = grant(login_id, team["a"], ["salary_declarations"])
    client = log_in(app, A, "tina@fidu.example", login_id, secret)
    assert client.get("/portal/", follow_redirects=True).request.path == "/portal/"
    return {"client": client, "login": login_id, "trustee": trustee, "mandate": mandate_id}


def anna(app, team):
    return log_in(app, A, "anna@muster.example", *team["anna"])


def test_r14_way_b_power_ends_at_zurich_midnight_after_its_last_day_on_the_next_request(app, team, monkeypatch):
    today = clock.today_in_zurich(clock.now())
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, secret = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    make_poa(team["a"], trustee, ["correspondence"], today - timedelta(days=5), today)
    grant(login_id, team["a"], ["correspondence"], way="b")
    moment = {"now": datetime.combine(today, time(23, 50), ZURICH)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    client = app.test_client()
    assert client.post("/login", data={"member_number": A, "email": "tina@fidu.example",
                                       "password": PASSWORD}).status_code == 303
    otp = pyotp.TOTP(secret).at(moment["now"])
    assert client.post("/login/second-step", data={"otp": otp}).status_code == 303
    moment["now"] = datetime.combine(today, time(23, 59, 59), ZURICH)
    home = client.get("/portal/", follow_redirects=True)
    assert home.request.path == "/portal/" and f"Muster Holzbau AG, {A}" in text(home)
    moment["now"] = datetime.combine(today + timedelta(days=1), time.min, ZURICH)
    refused = client.get("/portal/support")
    assert refused.status_code == 302 and "/portal/acting-for" in refused.headers["Location"]
    page = text(client.get(refused.headers["Location"]))
    assert "You can no longer act for this company" in page and "Muster Holzbau AG" not in page


def _portal_links(page: str) -> set[str]:
    return {link for link in re.findall(r'href="(/portal/[^"#?]*)', page)}


def test_r13_every_link_on_a_trustees_profile_opens_for_it(tina):
    client = tina["client"]
    page = text(client.get("/portal/profile"))
    links = _portal_links(page)
    assert {"/portal/history", "/portal/profile/leave"} <= links
    refused = {link: client.get(link).status_code for link in links}
    assert {link: status for link, status in refused.items() if status not in (200, 302, 303)} == {}
    assert "Changed your mind? An administrator" not in page


def test_r18_trustees_own_history_shows_its_login_only(tina):
    page = text(tina["client"].get("/portal/history"))
    assert "Tina Treu logged in." in page
    assert "Anna Muster" not in page and "Muster Holzbau AG" not in page.split("<h1>", 1)[1]


def test_r11_trustee_ends_its_own_login_and_the_member_sees_it_has_no_access(app, team, tina):
    client = tina["client"]
    form = client.get("/portal/profile/leave")
    assert form.status_code == 200 and "for any of the companies you act for" in text(form)
    left = client.post("/portal/profile/leave", data={"when": "now"})
    assert left.status_code == 303
    with db.unit_of_work() as s:
        assert s.get(Login, tina["login"]).status == LoginStatus.DEACTIVATED
    assert client.get("/portal/").status_code == 302  # every session of the login ended with it
    listing = text(anna(app, team).get("/portal/admin/trustees/"))
    assert "Tina Treu" in listing and "Login deactivated: no access" in listing


def test_r18_member_history_names_the_trustee_and_the_rights_given(app, team):
    client = anna(app, team)
    assert client.post("/portal/admin/trustees/new", data=TOM).status_code == 303
    with db.unit_of_work() as s:
        mandate_id = s.scalar(select(Mandate.id).where(Mandate.member_id == team["a"]))
    assert client.post(f"/portal/admin/trustees/{mandate_id}/revoke").status_code == 303
    history = text(client.get("/portal/admin/history"))
    assert "Anna Muster created the login of Tom Treu." in history
    assert ("Anna Muster gave Tom Treu access to your company as a trustee. Rights: Salary declarations, "
            "Correspondence.") in history
    assert "Anna Muster revoked the access of Tom Treu as a trustee." in history
    assert "Security event:" not in history


def _invitations_of(email: str) -> list[tuple[int, str]]:
    with db.unit_of_work() as s:
        return [(i.member_id, i.status) for i in s.scalars(
            select(Invitation).join(Login, Login.id == Invitation.login_id).where(Login.email == email)
            .order_by(Invitation.id))]


def test_r13_revoking_an_invited_trustee_closes_its_link_and_login(app, team):
    client = anna(app, team)
    client.post("/portal/admin/trustees/new", data=TOM)
    with db.unit_of_work() as s:
        mandate_id = s.scalar(select(Mandate.id).where(Mandate.member_id == team["a"]))
    assert "tom@neu.example" in text(client.get("/portal/admin/"))
    client.post(f"/portal/admin/trustees/{mandate_id}/revoke")
    assert _invitations_of("tom@neu.example") == [(team["a"], InvitationStatus.CANCELLED)]
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.status).where(Login.email == "tom@neu.example")) == LoginStatus.DEACTIVATED
    assert "tom@neu.example" not in text(client.get("/portal/admin/"))


def test_r13_revoking_one_members_invitation_sends_a_link_for_the_other_member(app, team):
    anna(app, team).post("/portal/admin/trustees/new", data=TOM)
    carla = log_in(app, B, "carla@beispiel.example", *team["carla"])
    carla.post("/portal/admin/trustees/new", data=TOM)  # the same person, invited by member B meanwhile
    with db.unit_of_work() as s:
        mandate_b = s.scalar(select(Mandate.id).where(Mandate.member_id == team["b"]))
    assert carla.post(f"/portal/admin/trustees/{mandate_b}/revoke").status_code == 303
    assert _invitations_of("tom@neu.example") == [(team["a"], InvitationStatus.REPLACED),
                                                  (team["b"], InvitationStatus.CANCELLED),
                                                  (team["a"], InvitationStatus.PENDING)]
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.status).where(Login.email == "tom@neu.example")) == LoginStatus.PENDING
        resent = s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "invitation.sent",
                                                          AuditEvent.member_id == team["a"])).all()
    assert resent[-1] == "system"  # member A's history says connect sent it, not member B's administrator


def test_r13_cancelling_one_members_invitation_sends_a_link_for_the_other_member(app, team):
    anna(app, team).post("/portal/admin/trustees/new", data=TOM)
    carla = log_in(app, B, "carla@beispiel.example", *team["carla"])
    carla.post("/portal/admin/trustees/new", data=TOM)
    with db.unit_of_work() as s:
        pending_b = s.scalar(select(Invitation.id).where(Invitation.member_id == team["b"],
                                                         Invitation.status == InvitationStatus.PENDING))
    assert carla.post(f"/portal/admin/invitations/{pending_b}/cancel").status_code == 303
    assert _invitations_of("tom@neu.example") == [(team["a"], InvitationStatus.REPLACED),
                                                  (team["b"], InvitationStatus.CANCELLED),
                                                  (team["a"], InvitationStatus.PENDING)]


def test_r10_administrator_neither_adds_nor_removes_a_right_they_lack(app, team, tina):
    lia = make_login(team["a"], "Lia Limit", "lia@muster.example", ["administration", "family_allowances"])
    with db.unit_of_work() as s:
        s.get(Mandate, tina["mandate"]).rights = ["salary_declarations", "correspondence"]
    client = log_in(app, A, "lia@muster.example", *lia)
    response = client.post("/portal/admin/trustees/new", data={
        "company": str(tina["trustee"]), "name": "Tina Treu", "email": "tina@fidu.example",
        "mobile": "079 123 00 00", "language": "en", "rights": ["family_allowances"]})
    assert response.status_code == 303, text(response)[:2000]
    with db.unit_of_work() as s:
        assert s.get(Mandate, tina["mandate"]).rights == ["salary_declarations", "family_allowances",
                                                          "correspondence"]


def test_r11_trustees_last_day_is_refused_from_midnight_and_swept_without_mailing_anyone(app, team, tina):
    client = tina["client"]
    today = clock.today_in_zurich(clock.now())
    scheduled = client.post("/portal/profile/leave", data={"when": "date", "last_day": today.isoformat()})
    assert scheduled.status_code == 303
    after = datetime.combine(today + timedelta(days=1), time(0, 5), ZURICH)
    with db.unit_of_work() as s:
        assert deactivation_sweep.sweep(s, after) == [tina["login"]]
        login = s.get(Login, tina["login"])
        assert login.status == LoginStatus.DEACTIVATED
        events = s.scalars(select(AuditEvent).where(AuditEvent.subject == f"login:{tina['login']}",
                                                    AuditEvent.action == "login.deactivated")).all()
        assert [e.member_id for e in events] == [None]
    assert outbox_rows("mail.send") == []


@pytest.mark.parametrize("company", ["²", "1e3", "-1"])
def test_r13_a_forged_company_choice_is_refused_with_a_message(app, team, company):
    response = anna(app, team).post("/portal/admin/trustees/new", data={**TOM, "company": company})
    assert response.status_code == 422 and "Choose the trustee company, or enter a new one" in text(response)
    with db.unit_of_work() as s:
        assert s.scalar(select(Mandate.id).limit(1)) is None


def test_r13_two_administrators_entering_the_same_new_company_at_once_get_one_company(pg):
    """Both transactions see no company with the UID; the second insert meets the unique index and takes the
    first one's row instead of failing."""
    import threading

    from core import clock, db
    from core.models import Trustee
    from core.trustees import trustees as trustee_service

    barrier, found, errors = threading.Barrier(2), [], []

    def enter() -> None:
        try:
            with db.unit_of_work() as s:
                assert trustee_service.by_uid(s, "CHE-100.000.006") is None
                barrier.wait(timeout=10)
                company = trustee_service.Company("CHE-100.000.006", PostalAddress(
                    "Fidu Treuhand AG", street="Seestrasse 5", postcode="8000", town="Zürich"))
                found.append(trustee_service.find_or_create(s, company, now=clock.now()).uid)
        except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong in the thread
            errors.append(repr(exc))

    threads = [threading.Thread(target=enter) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with db.unit_of_work() as s:
        companies = s.query(Trustee).count()
    assert errors == [] and found == ["CHE-100.000.006"] * 2 and companies == 1
