"""Hostile 4: the authorisation matrix over every route of the application. Each endpoint has its audience;
each route is requested as anonymous, as a member's login without the administration right, as an
administrator, as a clerk of the fund and as a supervisor, and must be refused (401/403 or sent to a login page)
exactly for those outside its audience, and never fail (5xx) for anyone. A route without a row fails the test
that names it. (The member portal's own matrix, own against other member's objects, is in
tests/integration/test_authz_portal.py.)"""

from __future__ import annotations

import re

import pytest

from tests.integration.admin_support import ALL, log_in, make_login, make_member
from tests.integration.staff_support import create_staff, english_client
from tests.integration.staff_support import log_in as staff_log_in

PUBLIC, MEMBER, ADMIN, STAFF, SUPERVISOR = "public", "member", "administrator", "staff", "supervisor"
ACTORS = ("anonymous", "member", "administrator", "clerk", "supervisor")
ALLOWED = {
    PUBLIC: set(ACTORS),
    MEMBER: {"member", "administrator"},
    ADMIN: {"administrator"},
    STAFF: {"clerk", "supervisor"},
    SUPERVISOR: {"supervisor"},
}

_public = ["public.home", "api.openapi", "api.submit", "api.request_status", "ops.healthz", "ops.readyz",
           "ops.metrics",  # kept behind the reverse proxy (README, Operations): no secret, no member data
           "help.index", "help.administrator_leaves", "help.no_administrator", "help.trustee", "help.two_step_login",
           "public.invitation", "public.invitation_link", "public.invitation_authenticator", "public.invitation_code",
           "public.invitation_done", "public.invitation_password", "public.invitation_send_code", "public.login",
           "public.login_second_factor", "public.login_send_sms", "public.logout", "public.register",
           "public.register_authenticator", "public.register_details", "public.register_done",
           "public.request_status", "public.new_code_received", "public.trustee_code_received", "public.new_code",
           "public.new_code_submit", "public.trustee_code", "public.trustee_code_submit", "static",
           "public.support_page", "public.support_submit", "public.support_received", "staff.login",
           "staff.second_factor", "staff.logout", "help.support", "public.old_logins", "public.old_logins_submit"]
_member = ["portal.home", "portal.profile", "portal.change_password", "portal.new_recovery_codes",
           "portal.change_authenticator", "portal.new_authenticator", "portal.cancel_authenticator_change",
           "portal.send_confirmation_sms", "portal.leave", "portal.keep_login", "portal.my_history",
           "portal.choose_member",
           "portal.support_page", "portal.support_submit", "portal.support_received"]
_admin = ["portal.admin_logins", "portal.admin_new", "portal.admin_history", "portal.admin_login", "portal.admin_edit",
          "portal.admin_deactivate", "portal.admin_reactivate", "portal.admin_resend", "portal.admin_cancel",
          "portal.admin_trustee_invitation", "portal.admin_trustee_new", "portal.admin_trustee_revoke",
          "portal.admin_trustee_revoke_page",
          "portal.admin_trustees", "portal.admin_trustee", "portal.admin_trustee_confirm", "portal.admin_trustee_end",
          "portal.admin_trustee_power"]
_staff = ["staff.cases", "staff.case", "staff.approve", "staff.close_case", "staff.approve_exceptional", "staff.reject",
          "staff.returned_mail_address", "staff.returned_mail_new_letter", "staff.approve_stale_logins",
          "staff.support_answer", "staff.approve_trustee_code", "staff.mailroom",
          "staff.mailroom_scan", "staff.poa_list", "staff.poa_detail", "staff.poa_revoke", "staff.document",
          "staff.poa_lookup", "staff.poa_new", "staff.registrations", "staff.exceptional_page",
          "staff.record_exceptional", "staff.signatories_page", "staff.add_signatory", "staff.end_signatory",
          "staff.stale_logins_page", "staff.record_stale_logins",
          "staff.confirm_stale_logins", "staff.record_sent_power"]
_supervisor = ["staff.operations_page", "staff.discard_parked", "staff.retry_parked"]

MATRIX: dict[str, str] = {
    **dict.fromkeys(_public, PUBLIC), **dict.fromkeys(_member, MEMBER), **dict.fromkeys(_admin, ADMIN),
    **dict.fromkeys(_staff, STAFF), **dict.fromkeys(_supervisor, SUPERVISOR),
}
LOGOUTS = {"public.logout", "staff.logout"}  # asked last: they end the actor's session
MAY_ANSWER_503 = {"ops.readyz"}  # no beat or worker runs in this test: "not ready" is its right answer


@pytest.fixture
def app(pg):
    from web import create_app

    # CSRF off only while the member logins are made (their helper sends no token); the matrix runs with it on.
    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "100000 per minute"})


def test_every_route_has_a_row_in_the_authorisation_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing, gone = sorted(endpoints - set(MATRIX)), sorted(set(MATRIX) - endpoints)
    assert missing == [], f"add these endpoints to MATRIX in {__file__} with their audience: {missing}"
    assert gone == [], f"remove these rows from MATRIX, the endpoints no longer exist: {gone}"


def _requests(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route, with made-up values for its URL parts."""
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            numeric = type(rule._converters[arg]).__name__ == "IntegerConverter"
            url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", "1" if numeric else "x1", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return sorted(found, key=lambda r: (r[0] in LOGOUTS, r))


def _clients(app) -> dict[str, object]:
    member = make_member("990100", "Matrix AG")
    admin_id, admin_secret = make_login(member, "Anna Admin", "anna@matrix.example", ALL)
    clerk_id, clerk_secret = make_login(member, "Ben Clerk", "ben@matrix.example", ["correspondence"])
    clients = {"anonymous": english_client(app),
               "member": log_in(app, "990100", "ben@matrix.example", clerk_id, clerk_secret),
               "administrator": log_in(app, "990100", "anna@matrix.example", admin_id, admin_secret)}
    app.config["WTF_CSRF_ENABLED"] = True  # the staff login helper sends the form's token
    for actor, role in (("clerk", "clerk"), ("supervisor", "supervisor")):
        client = english_client(app)
        staff_log_in(client, create_staff(f"matrix.{role}", f"Matrix {role.title()}", role=role))
        clients[actor] = client
    return clients


def _token(client) -> str:
    """The CSRF token of the client's session (valid for every form of that session)."""
    page = client.get("/requests/new-code").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and bool(re.search(r"/(staff/)?login(\?|$)", location))


def test_every_route_answers_each_actor_as_its_audience_demands(app, report):
    row = report.row("authorisation matrix (every route x actor)")
    clients = _clients(app)
    tokens = {actor: _token(client) for actor, client in clients.items()}
    wrong = []
    for endpoint, method, url in _requests(app):
        allowed = ALLOWED[MATRIX.get(endpoint, PUBLIC)]
        for actor, client in clients.items():
            form = {"csrf_token": tokens[actor]} if method == "POST" else None
            response = client.open(url, method=method, data=form)
            row.runs += 1
            if response.status_code >= 500 and not (response.status_code == 503 and endpoint in MAY_ANSWER_503):
                wrong.append((endpoint, method, actor, response.status_code, "server error"))
            elif MATRIX.get(endpoint) == PUBLIC:
                continue  # anyone may ask; a login step out of order is sent back to the login page, rightly
            elif _refused(response) == (actor in allowed):
                expected = "allowed" if actor in allowed else "refused"
                wrong.append((endpoint, method, actor, response.status_code, f"should be {expected}"))
    row.lost = len(wrong)
    assert wrong == [], "\n".join(map(str, wrong))
