"""The authorisation matrix of the member portal (R10): every /portal route × {anonymous, login without
administration, administrator of member A, administrator of member B} × {own member's object, other member's
object}, with the status each cell must answer. A new /portal route without a row here fails the test."""

from __future__ import annotations

import pytest
from admin_support import ALL, log_in, make_login, make_member, new_client
from sqlalchemy import select
from trustee_support import UID_T, UID_U, trustee_with_mandate

from core import db
from core.domain.states import LoginStatus
from core.logins import invitations
from core.models import Invitation, Login, Mandate

A, B = "430100", "430200"
UIDS = {"a": UID_T, "b": UID_U}
ACTORS = ("anonymous", "clerk_a", "admin_a", "admin_b")
OWN, OTHER = "own", "other"

# Statuses. A login without administration gets 403 before any id is looked at; an administrator gets 404 for an
# object of another member, exactly as for an id that does not exist.
LOGIN_PAGE = 302  # anonymous: sent to the login page
FORBIDDEN, NOT_FOUND = 403, 404
MEMBER_PAGE = {"anonymous": LOGIN_PAGE, "clerk_a": 200, "admin_a": 200, "admin_b": 200}


def admin_only(ok: int) -> dict[str, dict[str, int]]:
    """An /portal/admin route about one object (a login or an invitation)."""
    return {
        "anonymous": {OWN: LOGIN_PAGE, OTHER: LOGIN_PAGE},
        "clerk_a": {OWN: FORBIDDEN, OTHER: FORBIDDEN},
        "admin_a": {OWN: ok, OTHER: NOT_FOUND},
        "admin_b": {OWN: ok, OTHER: NOT_FOUND},
    }


def admin_page(ok: int) -> dict[str, dict[str, int]]:
    """An /portal/admin route without an object: own and other are the same cell."""
    statuses = {"anonymous": LOGIN_PAGE, "clerk_a": FORBIDDEN, "admin_a": ok, "admin_b": ok}
    return {actor: {OWN: status, OTHER: status} for actor, status in statuses.items()}


def member_page(ok: int) -> dict[str, dict[str, int]]:
    """A route every logged-in login may use about itself."""
    statuses = {"anonymous": LOGIN_PAGE, "clerk_a": ok, "admin_a": ok, "admin_b": ok}
    return {actor: {OWN: status, OTHER: status} for actor, status in statuses.items()}


# (endpoint, method) → the object kind in its URL (None, "login", "invitation") and the expected statuses.
# POSTs are sent with an empty form (CSRF is checked separately): 422 is a validation error, 303 a done action.
MATRIX: dict[tuple[str, str], tuple[str | None, dict[str, dict[str, int]]]] = {
    ("portal.home", "GET"): (None, member_page(200)),
    ("portal.profile", "GET"): (None, member_page(200)),
    ("portal.change_password", "GET"): (None, member_page(200)),
    ("portal.change_password", "POST"): (None, member_page(422)),
    ("portal.new_recovery_codes", "GET"): (None, member_page(200)),
    ("portal.new_recovery_codes", "POST"): (None, member_page(422)),
    ("portal.change_authenticator", "GET"): (None, member_page(200)),
    ("portal.change_authenticator", "POST"): (None, member_page(422)),
    ("portal.new_authenticator", "GET"): (None, member_page(303)),  # nothing being set up: back to the profile
    ("portal.new_authenticator", "POST"): (None, member_page(303)),
    ("portal.cancel_authenticator_change", "POST"): (None, member_page(303)),
    ("portal.send_confirmation_sms", "POST"): (None, member_page(303)),
    ("portal.leave", "GET"): (None, member_page(200)),
    ("portal.leave", "POST"): (None, member_page(422)),
    ("portal.keep_login", "POST"): (None, member_page(303)),  # no last working day to remove: back to the profile
    ("portal.my_history", "GET"): (None, member_page(200)),
    ("portal.support_page", "GET"): (None, member_page(200)),
    ("portal.support_submit", "POST"): (None, member_page(422)),
    ("portal.support_received", "GET"): ("reference", member_page(200)),
    ("portal.admin_logins", "GET"): (None, admin_page(200)),
    ("portal.admin_new", "GET"): (None, admin_page(200)),
    ("portal.admin_new", "POST"): (None, admin_page(422)),
    ("portal.admin_history", "GET"): (None, admin_page(200)),
    ("portal.admin_login", "GET"): ("login", admin_only(200)),
    ("portal.admin_edit", "GET"): ("login", admin_only(200)),
    ("portal.admin_edit", "POST"): ("login", admin_only(422)),
    ("portal.admin_deactivate", "GET"): ("login", admin_only(200)),
    ("portal.admin_deactivate", "POST"): ("login", admin_only(422)),
    ("portal.admin_reactivate", "POST"): ("login", admin_only(303)),
    ("portal.admin_resend", "POST"): ("invitation", admin_only(303)),
    ("portal.admin_cancel", "POST"): ("invitation", admin_only(303)),
    # Trustees (R13): a member's own login has nothing to choose and goes to the start page.
    ("portal.choose_member", "GET"): (None, member_page(302)),
    ("portal.choose_member", "POST"): (None, member_page(302)),
    ("portal.admin_trustees", "GET"): (None, admin_page(200)),
    ("portal.admin_trustee_new", "GET"): (None, admin_page(200)),
    ("portal.admin_trustee_new", "POST"): (None, admin_page(422)),
    ("portal.admin_trustee_invitation", "GET"): ("mandate", admin_only(200)),
    ("portal.admin_trustee_revoke_page", "GET"): ("mandate", admin_only(200)),
    # before the revocation below, which ends the mandate they act on
    ("portal.admin_trustee", "GET"): ("mandate", admin_only(200)),
    ("portal.admin_trustee_end", "POST"): ("mandate", admin_only(303)),  # empty: no end date
    ("portal.admin_trustee_confirm", "POST"): ("mandate", admin_only(303)),
    ("portal.admin_trustee_power", "POST"): ("mandate", admin_only(422)),
    ("portal.admin_trustee_revoke", "POST"): ("mandate", admin_only(303)),
}


def portal_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.rule.startswith("/portal")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})


def test_r10_every_portal_route_has_a_row_in_the_matrix(app):
    routes = portal_routes(app)
    assert sorted(routes - set(MATRIX)) == [], "add a row to MATRIX for each new /portal route"
    assert sorted(set(MATRIX) - routes) == [], "remove the rows of routes that no longer exist"


def _objects(member_id: int, prefix: str) -> dict[str, int]:
    """A colleague login and a pending invitation of the member: the objects the admin routes act on."""
    colleague = make_login(member_id, f"Colleague {prefix}", f"colleague@{prefix}.example", ["correspondence"],
                           last_day=None)[0]
    invitee = make_login(member_id, f"Invitee {prefix}", f"invitee@{prefix}.example", ["correspondence"],
                         status=LoginStatus.PENDING)[0]
    from core import clock

    with db.unit_of_work() as s:
        invitation_id = invitations.invite(s, s.get(Login, invitee), "test", clock.now())
    mandate_id = trustee_with_mandate(member_id, UIDS[prefix], f"trustee@{prefix}.example", ["correspondence"])[1]
    return {"login": colleague, "invitation": invitation_id, "mandate": mandate_id}


@pytest.fixture
def world(app):
    member_a, member_b = make_member(A, "Muster Holzbau AG"), make_member(B, "Beispiel Treuhand GmbH")
    admin_a = make_login(member_a, "Anna Admin", "anna@a.example", ALL)
    clerk_a = make_login(member_a, "Ben Clerk", "ben@a.example", ["correspondence"])
    admin_b = make_login(member_b, "Carla Admin", "carla@b.example", ALL)
    objects = {"a": _objects(member_a, "a"), "b": _objects(member_b, "b")}
    clients = {
        "anonymous": new_client(app),
        "clerk_a": log_in(app, A, "ben@a.example", *clerk_a),
        "admin_a": log_in(app, A, "anna@a.example", *admin_a),
        "admin_b": log_in(app, B, "carla@b.example", *admin_b),
    }
    return clients, objects


def _url(app, endpoint: str, kind: str | None, object_id: int | None) -> str:
    with app.test_request_context():
        from flask import url_for

        if kind == "reference":  # a request reference: only echoed back, owned by nobody
            return url_for(endpoint, reference="R-2026-000001")
        return url_for(endpoint, **({f"{kind}_id": object_id} if kind else {}))


def test_r10_the_authorisation_matrix(app, world):
    clients, objects = world
    home = {"anonymous": "a", "clerk_a": "a", "admin_a": "a", "admin_b": "b"}
    wrong = []
    for (endpoint, method), (kind, expected) in MATRIX.items():
        for actor in ACTORS:
            for whose in (OTHER, OWN):  # the other member's object first, so it is still there to be refused
                member = home[actor] if whose == OWN else ({"a": "b", "b": "a"}[home[actor]])
                url = _url(app, endpoint, kind, objects[member].get(kind) if kind else None)
                response = clients[actor].open(url, method=method, data={})
                if response.status_code != expected[actor][whose]:
                    wrong.append(f"{method} {url} as {actor} ({whose}): {response.status_code}, "
                                 f"expected {expected[actor][whose]}")
    assert wrong == []


def test_r10_refused_cells_changed_nothing(app, world):
    clients, objects = world
    before = _snapshot()
    for actor, member in (("clerk_a", "a"), ("clerk_a", "b"), ("admin_a", "b"), ("admin_b", "a")):
        target = objects[member]
        clients[actor].post(f"/portal/admin/logins/{target['login']}/deactivate", data={"when": "now"})
        clients[actor].post(f"/portal/admin/logins/{target['login']}/edit", data={
            "name": "Taken Over", "email": "taken@evil.example", "mobile": "079 123 45 67", "language": "en",
            "rights": ALL})
        clients[actor].post(f"/portal/admin/invitations/{target['invitation']}/cancel")
        clients[actor].post(f"/portal/admin/invitations/{target['invitation']}/resend")
        clients[actor].post(f"/portal/admin/trustees/{target['mandate']}/end", data={"end-valid_until": "31.12.2099"})
        clients[actor].post(f"/portal/admin/trustees/{target['mandate']}/confirm")
    assert _snapshot() == before


def _snapshot() -> list[tuple]:
    with db.unit_of_work() as s:
        logins = [(login.id, login.name, login.email, login.status, tuple(login.rights), login.session_version)
                  for login in s.scalars(select(Login).order_by(Login.id))]
        invites = [(i.id, i.status) for i in s.scalars(select(Invitation).order_by(Invitation.id))]
        held = [(m.id, m.status, m.way, m.valid_until) for m in s.scalars(select(Mandate).order_by(Mandate.id))]
        return logins + invites + held
