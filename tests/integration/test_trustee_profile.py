"""A trustee's own login (R13) keeps its own credentials: profile, password and recovery codes work for it as for
a member's login, show the trustee company, and it goes on acting for the member it chose."""

from __future__ import annotations

import pytest
from admin_support import ALL, PASSWORD, log_in, make_login, make_member, text
from sqlalchemy import select
from trustee_support import UID_T, grant, make_poa, make_trustee, make_trustee_login

from core import db, secrets_box
from core.models import AuditEvent, Login

A = "100200"
NEW_PASSWORD = "Tannenwald im Morgenlicht"


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


@pytest.fixture
def trustee(app):
    member = make_member(A, "Muster Holzbau AG")
    make_login(member, "Anna Muster", "anna@muster.example", ALL)
    company = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, secret = make_trustee_login(company, "Tina Treu", "tina@fidu.example")
    make_poa(member, company, ["salary_declarations"])
    grant(login_id, member, ["salary_declarations"])
    return {"client": log_in(app, A, "tina@fidu.example", login_id, secret), "login": login_id}


def test_r13_trustee_profile_shows_the_trustee_company_not_the_member(trustee):
    page = trustee["client"].get("/portal/profile")
    assert page.status_code == 200
    body = text(page)
    assert f"Fidu Treuhand AG ({UID_T})" in body and "Tina Treu" in body


def test_r9_trustee_changes_its_password_and_keeps_acting_for_the_member(trustee):
    client = trustee["client"]
    assert client.get("/portal/", follow_redirects=True).request.path == "/portal/"  # now acting for the member
    changed = client.post("/portal/profile/password", data={"current_password": PASSWORD,
                                                            "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 303
    home = client.get("/portal/")
    assert home.status_code == 200, home.headers.get("Location")
    assert "Muster Holzbau AG" in text(home)
    with db.unit_of_work() as s:
        login = s.get(Login, trustee["login"])
        assert secrets_box.password_matches(login.password_hash, NEW_PASSWORD)
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "login.password_changed"))
        assert event is not None and NEW_PASSWORD not in str(event.detail)


def test_r9_trustee_password_may_not_contain_its_company_uid(trustee):
    weak = "CHE-100.000.006 is mine"
    refused = trustee["client"].post("/portal/profile/password", data={
        "current_password": PASSWORD, "new_password": weak, "confirm": weak})
    assert refused.status_code == 422
