"""Two-step login of a member login, logout and the portal start page, on real PostgreSQL (R8, R9, R11, R12)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from test_registration_flow import (
    NUMBER,
    PASSWORD,
    enter_code,
    give_code,
    give_details,
    make_member,
    new_client,
    otp_at_step,
    register,
    text,
)

from core import clock, db
from core.domain.states import LoginStatus
from core.models import AuditEvent, AuthFailure, Login

EMAIL = "anna.muster@example.ch"


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


@pytest.fixture
def client(app):
    return new_client(app)


def password_step(client, password: str = PASSWORD, email: str = EMAIL, number: str = NUMBER):
    return client.post("/login", data={"member_number": number, "email": email, "password": password})


def second_step(client, otp: str):
    return client.post("/login/second-step", data={"otp": otp})


@pytest.fixture
def registered(app):
    """A member with its first administrator; the TOTP secret and the next step not used yet."""
    member_id = make_member()
    secret, step = register(new_client(app), give_code(member_id))
    return member_id, secret, step + 1


def test_r8_password_and_totp_lead_to_the_start_page(client, registered):
    member_id, secret, step = registered
    first = password_step(client, email=EMAIL.upper())  # e-mail addresses are not case-sensitive
    assert first.status_code == 303 and "/login/second-step" in first.headers["Location"]
    assert client.get("/portal/").status_code == 302  # not logged in after the password alone
    second = second_step(client, otp_at_step(secret, step))
    assert second.status_code == 303 and second.headers["Location"].endswith("/portal/")
    page = client.get("/portal/")
    body = text(page)
    assert page.status_code == 200
    assert "Welcome, Anna Muster" in body
    assert "Muster Holzbau AG" in body and NUMBER in body and "3000 Bern" in body
    assert "Bahnhofstrasse 1" in body
    assert "Salary declarations" in body and "Correspondence" in body
    assert "You are the only administrator" in body  # R12 warning
    assert 'action="/logout"' in body
    with db.unit_of_work() as s:
        login = s.scalar(select(Login).where(Login.member_id == member_id))
        assert login.last_login_at is not None and login.totp_last_step == step
        assert s.scalar(select(func.count()).where(AuditEvent.action == "login.signed_in")) == 1


def test_the_portal_speaks_the_language_chosen_at_registration(app, pg):
    member_id = make_member()
    secret, step = register(new_client(app), give_code(member_id), language="fr")
    client = new_client(app)
    password_step(client)
    second_step(client, otp_at_step(secret, step + 1))
    body = text(client.get("/portal/"))
    assert "Bienvenue, Anna Muster" in body
    assert "Déclarations de salaire" in body
    assert "Se déconnecter" in body


def test_no_warning_when_two_administrators_exist(app, registered):
    member_id, secret, step = registered
    register(new_client(app), give_code(member_id), email="ben.muster@example.ch")
    client = new_client(app)
    password_step(client)
    second_step(client, otp_at_step(secret, step))
    body = text(client.get("/portal/"))
    assert "Welcome, Anna Muster" in body
    assert "only administrator" not in body
    assert "Go to the user administration" in body


def test_r8_a_replayed_totp_is_refused(app, registered):
    _member_id, secret, step = registered
    otp = otp_at_step(secret, step)
    first = new_client(app)
    password_step(first)
    assert second_step(first, otp).status_code == 303
    thief = new_client(app)
    assert password_step(thief).status_code == 303
    replay = second_step(thief, otp)
    assert replay.status_code == 422
    assert "This code has been used already" in text(replay)
    assert thief.get("/portal/").status_code == 302


def test_r8_the_registration_code_from_the_app_cannot_be_replayed_at_login(client, registered):
    _member_id, secret, step = registered
    password_step(client)
    assert second_step(client, otp_at_step(secret, step - 1)).status_code == 422


def test_wrong_password_and_unknown_account_get_the_same_message(client, registered):
    wrong = text(password_step(client, password="Falsches Passwort 1"))
    unknown = text(password_step(client, email="nobody@example.ch"))
    other_member = text(password_step(client, number="999999"))
    message = "The member number, e-mail address or password is wrong."
    assert all(message in page for page in (wrong, unknown, other_member))


def test_r9_ten_wrong_passwords_throttle_the_login_even_with_the_right_password(client, registered):
    for _ in range(10):
        assert password_step(client, password="Falsches Passwort 1").status_code == 422
    other_ip = new_client(client.application)
    blocked = other_ip.post("/login", data={"member_number": NUMBER, "email": EMAIL, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert blocked.status_code == 422
    assert "Too many failed attempts" in text(blocked)


def test_r9_ten_wrong_passwords_from_one_ip_throttle_that_ip(app, registered):
    attacker = new_client(app)
    for i in range(10):
        attacker.post("/login", data={"member_number": NUMBER, "email": f"guess{i}@example.ch", "password": "x" * 12},
                      environ_base={"REMOTE_ADDR": "10.0.0.66"})
    from_attacker = attacker.post("/login", data={"member_number": NUMBER, "email": EMAIL, "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "10.0.0.66"})
    assert "Too many failed attempts" in text(from_attacker)
    elsewhere = new_client(app).post("/login", data={"member_number": NUMBER, "email": EMAIL, "password": PASSWORD},
                                       environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert elsewhere.status_code == 303


def test_r9_unknown_accounts_are_throttled_like_real_ones(client, pg):
    for _ in range(10):
        password_step(client, email="nobody@example.ch", password="Falsches Passwort 1")
    other = new_client(client.application)
    blocked = other.post("/login", data={"member_number": NUMBER, "email": "nobody@example.ch", "password": "y" * 12},
                         environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert "Too many failed attempts" in text(blocked)


def test_r8_an_older_argon2_profile_is_accepted_and_rewritten_with_todays_at_login(client, registered):
    """The hash profile moved to OWASP's 19 MiB, t=2, p=1 (core.secrets_box): a login hashed with argon2-cffi's
    default before still gets in with its password, and its hash is rewritten with the new profile; a wrong
    password rewrites nothing and still counts (R9)."""
    from argon2 import PasswordHasher

    member_id, secret, step = registered
    old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's default profile: m=65536, t=3, p=4
    with db.unit_of_work() as s:
        s.execute(update(Login).where(Login.member_id == member_id).values(password_hash=old))
    assert password_step(client, password="Not-The-Password-2026").status_code != 303
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.password_hash).where(Login.member_id == member_id)) == old
        assert s.scalar(select(func.count()).select_from(AuthFailure)) == 1
    assert password_step(client).status_code == 303
    with db.unit_of_work() as s:
        stored = s.scalar(select(Login.password_hash).where(Login.member_id == member_id))
    assert stored != old and "$m=19456,t=2,p=1$" in stored
    assert second_step(client, otp_at_step(secret, step)).headers["Location"].endswith("/portal/")
    client.post("/logout")
    assert password_step(client).status_code == 303, "the rewritten hash takes the same password"


def test_r9_failed_passwords_older_than_5_minutes_no_longer_count(client, registered):
    for _ in range(10):
        password_step(client, password="Falsches Passwort 1")
    with db.unit_of_work() as s:
        s.execute(update(AuthFailure).values(at=clock.now() - timedelta(minutes=6)))
    assert password_step(client).status_code == 303


def test_r9_five_wrong_second_factors_throttle_the_second_step(client, registered):
    _member_id, secret, step = registered
    password_step(client)
    for offset in range(5):
        assert second_step(client, otp_at_step(secret, step - 10 - offset)).status_code == 422
    throttled = second_step(client, otp_at_step(secret, step))
    assert throttled.status_code == 422
    assert "Too many wrong codes. Wait 5 minutes" in text(throttled)
    assert client.get("/portal/").status_code == 302


@pytest.mark.parametrize("status", [LoginStatus.PENDING, LoginStatus.DEACTIVATED])
def test_a_pending_or_deactivated_login_cannot_log_in(client, registered, status):
    member_id, secret, step = registered
    with db.unit_of_work() as s:
        s.execute(update(Login).where(Login.member_id == member_id).values(status=status))
    refused = password_step(client)
    assert refused.status_code == 422
    assert "not active" in text(refused)
    assert second_step(client, otp_at_step(secret, step)).headers["Location"].endswith("/login")


def test_an_unfinished_registration_cannot_log_in(app, pg):
    member_id = make_member()
    client = new_client(app)
    enter_code(client, give_code(member_id))
    give_details(client)
    refused = password_step(new_client(app))
    assert refused.status_code == 422
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.status)) == LoginStatus.PENDING


def test_r11_a_login_past_its_last_day_cannot_log_in(client, registered):
    member_id, _secret, _step = registered
    with db.unit_of_work() as s:
        s.execute(update(Login).where(Login.member_id == member_id)
                  .values(last_day=clock.today_in_zurich(clock.now()) - timedelta(days=1)))
    assert password_step(client).status_code == 422


def test_a_session_ends_when_the_session_version_changes(client, registered):
    member_id, secret, step = registered
    password_step(client)
    second_step(client, otp_at_step(secret, step))
    assert client.get("/portal/").status_code == 200
    with db.unit_of_work() as s:
        s.execute(update(Login).where(Login.member_id == member_id).values(session_version=Login.session_version + 1))
    ended = client.get("/portal/")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]


def test_the_login_is_deactivated_between_the_two_steps(client, registered):
    member_id, secret, step = registered
    password_step(client)
    with db.unit_of_work() as s:
        s.execute(update(Login).where(Login.member_id == member_id).values(status=LoginStatus.DEACTIVATED))
    refused = second_step(client, otp_at_step(secret, step))
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/login")


def test_logout_ends_the_session(client, registered):
    _member_id, secret, step = registered
    password_step(client)
    second_step(client, otp_at_step(secret, step))
    assert client.get("/portal/").status_code == 200
    out = client.post("/logout")
    assert out.status_code == 303
    assert client.get("/portal/").status_code == 302


def test_r22_a_cookie_copied_before_logout_opens_nothing_after(app, client, registered):
    _member_id, secret, step = registered
    password_step(client)
    second_step(client, otp_at_step(secret, step))
    copied = client.get_cookie("session").value
    assert client.get("/portal/admin/").status_code == 200
    assert client.post("/logout").status_code == 303
    attacker = new_client(app)
    attacker.set_cookie("session", copied)
    replayed = attacker.get("/portal/admin/")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert attacker.post("/portal/admin/new", data={"name": "Eve", "email": "eve@evil.example"}).status_code in (
        302, 303)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Login).where(Login.email == "eve@evil.example")) == 0


def test_logout_needs_the_csrf_token(registered):
    from web import create_app

    _member_id, secret, step = registered
    client = create_app({"TESTING": True}).test_client()

    def token(page: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"member_number": NUMBER, "email": EMAIL, "password": PASSWORD,
                                "csrf_token": token(login_page)})
    second_page = client.get("/login/second-step").get_data(as_text=True)
    client.post("/login/second-step", data={"otp": otp_at_step(secret, step), "csrf_token": token(second_page)})
    portal = client.get("/portal/")
    assert portal.status_code == 200
    assert client.post("/logout").status_code == 400  # a forged logout from another site does nothing
    assert client.get("/portal/").status_code == 200
    assert client.post("/logout", data={"csrf_token": token(portal.get_data(as_text=True))}).status_code == 303
    assert client.get("/portal/").status_code == 302


def test_next_only_leads_to_this_site(client, registered):
    _member_id, secret, step = registered
    start = client.post("/login?next=https://evil.example/", data={
        "member_number": NUMBER, "email": EMAIL, "password": PASSWORD})
    assert "evil" not in start.headers["Location"]
    done = client.post(start.headers["Location"], data={"otp": otp_at_step(secret, step)})
    assert done.headers["Location"].endswith("/portal/")


@pytest.mark.parametrize("target", ["/portal/%0d%0aSet-Cookie:%20x=1", "/portal/%0aLocation:%20https://evil.example",
                                    "/portal/%00", "/portal/%09x", "/portal/%7f"])
def test_control_characters_in_next_lead_to_the_start_page_not_an_error(client, registered, target):
    """CR/LF in `next=` would split the Location header: the login must finish on the start page, and the
    second step must not be spent on an error page."""
    _member_id, secret, step = registered
    start = client.post(f"/login?next={target}", data={"member_number": NUMBER, "email": EMAIL, "password": PASSWORD})
    assert start.status_code == 303
    done = client.post(start.headers["Location"], data={"otp": otp_at_step(secret, step)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/portal/")
    assert "Set-Cookie" not in done.headers["Location"] and "x=1" not in done.headers.get("Set-Cookie", "")
    assert client.get("/portal/").status_code == 200


def test_the_portal_asks_for_login(client, pg):
    response = client.get("/portal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_r18_no_password_or_one_time_code_in_pages_or_logs(client, registered, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    _member_id, secret, step = registered
    otp = otp_at_step(secret, step)
    pages = [password_step(client, password="Falsches Passwort 1"), password_step(client)]
    pages += [second_step(client, otp_at_step(secret, step - 9)), second_step(client, otp)]
    pages += [client.get("/portal/")]
    seen = "".join(text(p) for p in pages) + caplog.text + "".join(capsys.readouterr())
    for secret_text in (PASSWORD, "Falsches Passwort 1", otp, secret):
        assert secret_text not in seen
    with db.unit_of_work() as s:
        details = " ".join(str(e.detail) + e.subject for e in s.scalars(select(AuditEvent)))
    assert otp not in details and PASSWORD not in details


def test_the_second_step_expires(client, registered):
    _member_id, secret, step = registered
    password_step(client)
    with client.session_transaction() as state:
        state["pending_second_factor"] = {**state["pending_second_factor"], "until": clock.now().timestamp() - 1}
    late = second_step(client, otp_at_step(secret, step))
    assert late.status_code == 303 and late.headers["Location"].endswith("/login")
    assert "Your login took too long" in text(client.get("/login"))
