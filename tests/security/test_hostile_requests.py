"""Hostile requests as an attacker sends them: over a real socket to gunicorn with several worker processes, on
PostgreSQL and on the embedded SQLite. Anonymous floods have bounded effects (R21), a copied session cookie opens
nothing after logout (R22), control characters get a field error and never a 500, the API answers JSON whatever
is asked of it, and the operations endpoints tell strangers nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests as http
from sqlalchemy import func, select

from core import clock, db
from core.desk import requests
from core.domain.requests import CONTROL_CHARACTERS
from core.domain.states import CodeStatus
from core.models import Letter, Login, OutboxMessage, RegistrationCode, Request
from tests.integration.admin_support import ALL, PASSWORD, make_login, make_member, next_otp
from tests.security.live_site import ROOT, Client, all_at_once, count, site_on

OPS_TOKEN = "a-long-random-operations-token-0123456789"
UID = "CHE-100.155.212"
ADMIN = "anna@hostile.example"
ATTACKER = "eve@attacker.example"


@pytest.fixture(params=["postgresql", "sqlite"])
def site(request, pg, tmp_path, monkeypatch) -> Iterator[str]:
    with site_on(request.param, tmp_path, monkeypatch, OPS_TOKEN=OPS_TOKEN) as base:
        yield base


def _mails_to(address: str) -> int:
    with db.unit_of_work() as s:
        return sum(1 for args in s.scalars(select(OutboxMessage.args).where(OutboxMessage.task == "mail.send"))
                   if args.get("to") == address)


def _new_code_request(number: str, email: str) -> dict[str, object]:
    return {"kind": "new_code", "member_number": number, "uid": UID, "company_name": "Opfer AG",
            "requester": {"name": "Eve Angreifer", "role": "CEO", "email": email},
            "reason": "Please send a new code.\nBcc: everyone"}


def _decide_all() -> None:
    """What the workers do with the requests, six at a time, as two worker processes with three threads would."""
    with db.unit_of_work() as s:
        ids = list(s.scalars(select(Request.id)))

    def decide(request_id: int) -> None:
        with db.unit_of_work() as s:
            requests.decide(s, request_id, clock.now())

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(decide, ids))


def test_r21_sixty_anonymous_new_code_requests_at_once_post_one_letter_and_void_nothing(site, report):
    row = report.row("R21 60 anonymous new-code requests at once (HTTP, PostgreSQL and SQLite)")
    without_admin = make_member("810001", "Opfer ohne Admin AG")  # as every member is at go-live
    with_admin = make_member("810002", "Opfer mit Admin AG")
    make_login(with_admin, "Anna Admin", ADMIN, ALL)
    # half name the attacker's own address, half a new address each: both must stay bounded
    asks = [("810001" if i % 2 else "810002", ATTACKER if i % 3 else f"victim{i}@example.org") for i in range(60)]

    def send(ask: tuple[str, str]) -> int:
        return http.post(site + "/api/v1/requests", json=_new_code_request(*ask), timeout=60,
                         headers={"Connection": "close"}).status_code

    answers = all_at_once(asks, send)
    row.runs = len(asks)
    assert answers == [202] * len(asks)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == len(asks)
    _decide_all()

    with db.unit_of_work() as s:
        codes = list(s.scalars(select(RegistrationCode.status).where(RegistrationCode.member_id == without_admin)))
    letters = count(Letter, Letter.member_id == without_admin)
    row.duplicated = (letters - 1) + (_mails_to(ADMIN) - 1) + max(0, _mails_to(ATTACKER) - 1)
    assert letters == 1, "one automatic code letter a week, however many ask"
    assert codes == [CodeStatus.ISSUED], "the code in the post is not voided by the requests that followed"
    assert count(Letter, Letter.member_id == with_admin) == 0, "a member with an administrator gets no letter"
    assert _mails_to(ADMIN) == 1, "the administrator hears of others' requests once a day"
    assert _mails_to(ATTACKER) <= 1, "a typed address is acknowledged once a day"


def _logged_in(site: str) -> tuple[Client, int, str]:
    member_id = make_member("820001", "Sitzung AG")
    login_id, secret = make_login(member_id, "Anna Admin", ADMIN, ALL)
    return Client(site, "/login"), login_id, secret


def _second_step(client: Client, login_id: int, secret: str) -> http.Response:
    client.token = client.token_of("/login/second-step")
    return client.send("/login/second-step", {"otp": next_otp(login_id, secret)})


def test_r22_a_session_cookie_copied_before_logout_opens_nothing_after(site, report):
    row = report.row("R22 session cookie replayed after logout (HTTP)")
    client, login_id, secret = _logged_in(site)
    client.post("/login", {"member_number": "820001", "email": ADMIN, "password": PASSWORD})
    assert _second_step(client, login_id, secret).url.endswith("/portal/")
    copied = client.http.cookies.get_dict()
    assert client.http.get(site + "/portal/admin/", timeout=30).status_code == 200
    client.token = client.token_of("/portal/")
    client.post("/logout", {})

    attacker = http.Session()
    attacker.cookies.update(copied)
    replayed = attacker.get(site + "/portal/admin/", allow_redirects=False, timeout=30)
    invite = attacker.post(site + "/portal/admin/new", data={"name": "Eve", "email": "eve@attacker.example"},
                           allow_redirects=False, timeout=30)
    row.runs = 2
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert invite.status_code in (302, 303, 400)
    assert count(Login, Login.email == "eve@attacker.example") == 0


@pytest.mark.parametrize("target", ["/portal/%0d%0aSet-Cookie:%20x=1", "/portal/%0aLocation:%20https://evil.example"])
def test_cr_lf_in_next_ends_on_the_start_page_after_the_second_step(site, report, target):
    report.row("CR/LF in next= after the second step (HTTP)").runs += 1
    client, login_id, secret = _logged_in(site)
    client.post(f"/login?next={target}", {"member_number": "820001", "email": ADMIN, "password": PASSWORD})
    done = _second_step(client, login_id, secret)
    assert done.status_code == 200 and done.url == site + "/portal/"
    assert "x" not in client.http.cookies.get_dict()


NUL_FORMS = [
    ("/login", {"member_number": "100200", "email": "anna@muster.example", "password": "x\x00y"}),
    ("/register", {"member_number": "100\x00200", "code": "ABCD-EFGH-JKMN-PQRS"}),
    ("/support", {"topic": "technical", "message": "Help\x00", "name": "Anna", "email": "anna@muster.example"}),
    ("/staff/login", {"username": "anna\x00", "password": "secret"}),
]


def test_nul_bytes_in_every_form_and_json_field_get_a_field_error_never_a_500(site, report):
    row = report.row("NUL and control characters in forms and JSON (HTTP)")
    for path, form in NUL_FORMS:
        client = Client(site, path)
        answer = client.send(path, form)
        assert answer.status_code in (200, 422), (path, answer.status_code)
        assert CONTROL_CHARACTERS in answer.text, path
        row.runs += 1
    body = _new_code_request("810001", "anna@muster.example") | {"company_name": "Muster\x00 AG"}
    answer = http.post(site + "/api/v1/requests", json=body, timeout=30)
    row.runs += 1
    assert answer.status_code == 422 and answer.headers["Content-Type"].startswith("application/")
    assert "company_name" in answer.text
    assert count(Request) == 0


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/nothing", 404), ("PUT", "/api/v1/requests", 405), ("GET", "/api/v1/requests/a%0Ab", 404),
    ("DELETE", "/api/v1/requests/R-0000-0000", 405),
])
def test_every_answer_under_the_api_is_json(site, report, method, path, status):
    report.row("API answers JSON to every path and method (HTTP)").runs += 1
    answer = http.request(method, site + path, timeout=30)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].split(";")[0] in ("application/json", "application/problem+json")
    assert answer.json()["error"]


def test_metrics_and_readiness_details_only_with_the_operations_token(site, report):
    row = report.row("/metrics and /readyz details need the operations token (HTTP)")
    stranger = [http.get(site + "/metrics", timeout=30), http.get(site + "/readyz", timeout=30)]
    operator = http.get(site + "/metrics", headers={"Authorization": f"Bearer {OPS_TOKEN}"}, timeout=30)
    row.runs = 3
    assert stranger[0].status_code == 403 and "# HELP" not in stranger[0].text
    assert set(stranger[1].json()) == {"status"}
    assert operator.status_code == 200 and "# HELP" in operator.text


@pytest.mark.parametrize("environment", ["Production", "PRODUCTION", "prod", " production", ""])
def test_the_app_refuses_to_start_with_the_development_secrets_outside_development(report, environment):
    report.row("ENVIRONMENT fails closed: app refuses to start").runs += 1
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "CODE_HMAC_SECRET")}
    env["ENVIRONMENT"] = environment
    started = subprocess.run([sys.executable, "-c", "import web.wsgi"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert started.returncode != 0
    assert "InsecureConfiguration" in started.stderr and "ENVIRONMENT" in started.stderr
