"""R13, R14 authorisation on real PostgreSQL: a trustee login with mandates for members A and B tries every
/portal route (taken from the app's URL map, so a new route is covered) with member C's ids, and every right
outside its scope. Only the pages opened to trustees answer, and only with the chosen member's data."""

from __future__ import annotations

import re

import pytest
from admin_support import ALL, log_in, make_login, make_member, text
from sqlalchemy import select
from trustee_support import UID_T, UID_U, grant, make_poa, make_trustee, make_trustee_login, trustee_with_mandate

from core import clock, db
from core.domain import rights
from core.domain.states import LoginStatus
from core.logins import invitations
from core.models import Invitation, Login, Mandate

A, B, C = "440100", "440200", "440300"
SCOPE = ["salary_declarations", "correspondence"]
OPEN_TO_TRUSTEES = {"portal.home", "portal.choose_member"}
# The trustee's own login (password, authenticator, recovery codes, its history, leaving): no member's data.
OPEN_TO_TRUSTEES |= {"portal.profile", "portal.change_password", "portal.new_recovery_codes",
                     "portal.change_authenticator", "portal.send_confirmation_sms", "portal.new_authenticator",
                     "portal.cancel_authenticator_change", "portal.my_history", "portal.leave", "portal.keep_login"}
# A support request about the member the trustee acts for.
OPEN_TO_TRUSTEES |= {"portal.support_page", "portal.support_submit", "portal.support_received"}


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


@pytest.fixture
def world(app):
    ids = {name: make_member(number, f"Company {name}") for name, number in (("a", A), ("b", B), ("c", C))}
    trustee = make_trustee(UID_T, "Fidu Treuhand AG")
    login_id, secret = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    for member in ("a", "b"):
        make_poa(ids[member], trustee, SCOPE)
        grant(login_id, ids[member], ALL, way="b")  # a fund code's mandate asks for more than the power covers
    admin_c = make_login(ids["c"], "Clara Admin", "clara@c.example", ALL)[0]
    invitee_c = make_login(ids["c"], "Ivo Invited", "ivo@c.example", ["correspondence"], status=LoginStatus.PENDING)[0]
    with db.unit_of_work() as s:
        invitation_c = invitations.invite(s, s.get(Login, invitee_c), "test", clock.now())
    mandate_c = trustee_with_mandate(ids["c"], UID_U, "other@trustee.example", SCOPE)[1]
    client = log_in(app, A, "tina@fidu.example", login_id, secret)
    chosen = client.post("/portal/acting-for", data={"member": str(ids["a"])})
    assert chosen.status_code == 303
    return {"client": client, "ids": ids, "login": login_id, "objects_c": {
        "login_id": admin_c, "invitation_id": invitation_c, "mandate_id": mandate_c}}


def portal_routes(app) -> list[tuple[str, str, list[str]]]:
    return sorted((rule.endpoint, method, sorted(rule.arguments)) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/portal") for method in rule.methods - {"HEAD", "OPTIONS"})


def _url(app, endpoint: str, arguments: list[str], objects: dict[str, int]) -> str:
    with app.test_request_context():
        from flask import url_for

        # an argument this test does not know (another area's reference, say) gets a value that names nothing
        return url_for(endpoint, **{name: objects.get(name, 1) for name in arguments})


def _snapshot() -> list[tuple]:
    with db.unit_of_work() as s:
        logins = [(x.id, x.name, x.email, x.status, tuple(x.rights))
                  for x in s.scalars(select(Login).order_by(Login.id))]
        invites = [(i.id, i.status) for i in s.scalars(select(Invitation).order_by(Invitation.id))]
        mandates = [(m.id, m.status, tuple(m.rights)) for m in s.scalars(select(Mandate).order_by(Mandate.id))]
        return logins + invites + mandates


def test_r13_trustee_reaches_no_route_of_member_c(app, world):
    client, objects = world["client"], world["objects_c"]
    before = _snapshot()
    wrong = []
    for endpoint, method, arguments in portal_routes(app):
        url = _url(app, endpoint, arguments, objects)
        response = client.open(url, method=method, data={"member": str(world["ids"]["c"])})
        body = text(response)
        if endpoint in OPEN_TO_TRUSTEES:
            if "Company C" in body or response.status_code not in (200, 302, 303, 422):
                wrong.append(f"{method} {url}: {response.status_code}, shows member C or fails")
        elif response.status_code != 403:
            wrong.append(f"{method} {url}: {response.status_code}, expected 403")
    assert wrong == []
    assert _snapshot() == before
    home = text(client.get("/portal/"))
    assert "Acting for" in home and f"Company a, {A}" in home and "Company C" not in home


def test_r13_trustee_cannot_choose_a_member_without_mandate(app, world):
    client = world["client"]
    refused = client.post("/portal/acting-for", data={"member": str(world["ids"]["c"])})
    assert refused.status_code == 422
    assert "Choose one of the companies offered" in text(refused)
    assert f"Company a, {A}" in text(client.get("/portal/"))


def test_r13_trustee_switches_between_its_members(app, world):
    client = world["client"]
    page = text(client.get("/portal/acting-for"))
    assert "Company a" in page and "Company b" in page and "Company c" not in page
    assert client.post("/portal/acting-for", data={"member": str(world["ids"]["b"])}).status_code == 303
    home = text(client.get("/portal/"))
    assert f"Acting for <strong>Company b, {B}</strong>" in home


def _shown_rights(page: str) -> set[str]:
    block = re.search(r"Your rights for this company</dt>\s*<dd><ul>(.*?)</ul>", page, re.S)
    assert block, page[:2000]
    return set(re.findall(r"<li>(.*?)</li>", block.group(1)))


def test_r13_trustee_holds_no_right_outside_the_scope(app, world):
    client = world["client"]
    shown = _shown_rights(text(client.get("/portal/")))
    assert shown == {rights.label(r) for r in SCOPE}
    # administration is outside the scope: user administration refuses, whatever the mandate asked for
    for path in ("/portal/admin/", "/portal/admin/new", "/portal/admin/trustees/", "/portal/admin/history"):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("right", list(rights.CATALOGUE))
def test_r14_way_b_only_the_rights_both_mandate_and_power_cover(app, right):
    member = make_member(A, "Company a")
    trustee = make_trustee(UID_T)
    login_id, secret = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    make_poa(member, trustee, [right])
    grant(login_id, member, ALL, way="b")  # way (b): a code the fund sent on the power of attorney
    client = log_in(app, A, "tina@fidu.example", login_id, secret)
    home = client.get("/portal/", follow_redirects=True)
    assert _shown_rights(text(home)) == {rights.label(right)}
    # trustees never manage the member's logins, even with the administration right in scope (R10, R13)
    assert client.get("/portal/admin/").status_code == 403
