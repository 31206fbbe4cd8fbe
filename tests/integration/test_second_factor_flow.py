"""The second step of a login by SMS and by recovery code, the profile (new password, new recovery codes, new
authenticator), session timeouts and the per-IP limit, through the web pages on real PostgreSQL (R7–R9, R18)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from test_registration_flow import (
    NUMBER,
    PASSWORD,
    give_code,
    make_member,
    new_client,
    otp_at_step,
    register,
    text,
)

from core import clock, db, outbox, sms
from core.models import AuditEvent, AuthFailure, Login, OutboxMessage, RecoveryCode, SmsCode

# The SMS task is run in this process, as a worker runs it, to read the text it sends.
from worker.tasks.sms import send

EMAIL = "anna.muster@example.ch"
NEW_PASSWORD = "Wolken über dem Gantrisch"
MOBILE = "+41791234567"


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


@pytest.fixture
def registered(app):
    """A member's first administrator: (login id, TOTP secret, next unused step, recovery codes shown)."""
    member_id = make_member()
    client = new_client(app)
    secret, step = register(client, give_code(member_id))
    done = text(client.get("/register/done"))
    shown = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})</li>", done)
    with db.unit_of_work() as s:
        login_id = s.scalar(select(Login.id).where(Login.member_id == member_id))
    return login_id, secret, step + 1, shown


def password_step(client, password: str = PASSWORD):
    return client.post("/login", data={"member_number": NUMBER, "email": EMAIL, "password": password})


def deliver_sms() -> list[str]:
    """What the relay and a worker do with queued SMS, in this process: run the real task for each row."""
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.task == "sms.send",
                                                          OutboxMessage.sent_at.is_(None))))
        queued = [(row.key, dict(row.args)) for row in rows]
        outbox.mark_sent(s, [row.id for row in rows], clock.now())
    for key, args in queued:
        send.apply(kwargs=args, task_id=key).get()
    return [key for key, _ in queued]


def code_from_file(key: str) -> str:
    message = sms.file_for(key).read_text(encoding="utf-8")
    assert message.startswith(f"To: {MOBILE}\n\n")
    return re.search(r"\b(\d{6})\b", message).group(1)


def sms_code(client) -> str:
    sent = client.post("/login/second-step/sms")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/login/second-step")
    keys = deliver_sms()
    assert len(keys) == 1
    return code_from_file(keys[0])


def sms_step(client, code: str):
    return client.post("/login/second-step", data={"code": code})


def logged_in(app, secret: str, step: int, recovery_code: str | None = None):
    client = new_client(app)
    assert password_step(client).status_code == 303
    if recovery_code:
        client.get("/login/second-step?use=recovery")
        second = client.post("/login/second-step", data={"code": recovery_code})
    else:
        second = client.post("/login/second-step", data={"otp": otp_at_step(secret, step)})
    assert second.status_code == 303 and second.headers["Location"].endswith("/portal/")
    return client


def actions() -> list[tuple[str, dict]]:
    with db.unit_of_work() as s:
        return [(e.action, e.detail) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_r8_login_with_a_code_sent_by_sms_to_the_file_gateway(app, registered):
    login_id, _secret, _step, _codes = registered
    client = new_client(app)
    password_step(client)
    choose = client.get("/login/second-step?use=sms")
    assert "ending in 67" in text(choose) and "Send me a code by SMS" in text(choose)
    code = sms_code(client)
    page = text(client.get("/login/second-step"))
    assert "We sent a code by SMS to your mobile number ending in 67" in page and code not in page
    signed_in = sms_step(client, code)
    assert signed_in.status_code == 303 and signed_in.headers["Location"].endswith("/portal/")
    assert "Welcome, Anna Muster" in text(client.get("/portal/"))
    with db.unit_of_work() as s:
        sent = s.scalar(select(OutboxMessage).where(OutboxMessage.task == "sms.send"))
        assert sent.args == {"sent": True}  # the text with the code left the queue once delivered
        assert code not in s.scalar(select(SmsCode.code_hash))
    assert ("login.signed_in", {"ip": "127.0.0.1", "method": "sms"}) in actions()


def test_r8_an_sms_code_works_once_and_not_after_5_minutes(app, registered, monkeypatch):
    client = new_client(app)
    password_step(client)
    code = sms_code(client)
    assert sms_step(client, code).status_code == 303
    other = new_client(app)
    password_step(other)
    other.get("/login/second-step?use=sms")
    reused = sms_step(other, code)
    assert reused.status_code == 422 and "This code has been used already. Send a new code." in text(reused)
    late = sms_code(other)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=5, seconds=1))
    expired = sms_step(other, late)
    assert expired.status_code == 422
    assert "This code has expired: a code sent by SMS works for 5 minutes. Send a new code." in text(expired)
    failed = [detail for action, detail in actions() if action == "login.second_factor_failed"]
    assert [(d["method"], d["reason"]) for d in failed] == [("sms", "reused"), ("sms", "expired")]
    assert all(code not in str(d) and late not in str(d) for d in failed)


def test_r8_a_new_sms_replaces_the_earlier_code_and_five_an_hour_is_the_most(app, registered):
    client = new_client(app)
    password_step(client)
    first = sms_code(client)
    for _ in range(4):
        latest = sms_code(client)
    refused = client.post("/login/second-step/sms", follow_redirects=True)
    assert "You have asked for 5 codes by SMS in the last hour" in text(refused)
    assert deliver_sms() == []
    if first != latest:
        assert sms_step(client, first).status_code == 422
    assert sms_step(client, latest).status_code == 303


def test_r9_wrong_sms_codes_are_throttled_audited_and_never_shown(app, registered):
    client = new_client(app)
    password_step(client)
    code = sms_code(client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        page = sms_step(client, wrong)
        assert page.status_code == 422 and wrong not in text(page)
    throttled = sms_step(client, code)
    assert "Too many wrong codes. Wait 5 minutes" in text(throttled)
    with db.unit_of_work() as s:
        s.execute(update(AuthFailure).values(at=clock.now() - timedelta(minutes=6)))
    void = sms_step(client, code)  # five wrong entries also voided the code itself
    assert "no longer works because a wrong code was entered too often" in text(void)
    reasons = [d["reason"] for a, d in actions() if a == "login.second_factor_failed"]
    assert reasons == ["wrong"] * 5 + ["throttled", "void"]


def test_r8_a_recovery_code_logs_in_once(app, registered):
    login_id, _secret, _step, shown = registered
    assert len(shown) == 8 and len(set(shown)) == 8
    client = new_client(app)
    password_step(client)
    assert "Enter a recovery code" in text(client.get("/login/second-step?use=recovery"))
    used = client.post("/login/second-step", data={"code": shown[3].lower()})
    assert used.status_code == 303 and used.headers["Location"].endswith("/portal/")
    again = new_client(app)
    password_step(again)
    again.get("/login/second-step?use=recovery")
    refused = again.post("/login/second-step", data={"code": shown[3]})
    assert refused.status_code == 422
    assert "This recovery code has been used already" in text(refused) and shown[3] not in text(refused)
    assert ("login.recovery_code_used", {"left": 7}) in actions()
    assert "You have 7 unused recovery codes of 8." in text(client.get("/portal/profile"))


def test_r8_recovery_codes_are_shown_once_at_registration_and_kept_only_hashed(app, pg):
    member_id = make_member()
    client = new_client(app)
    register(client, give_code(member_id))
    first = text(client.get("/register/done"))
    shown = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})</li>", first)
    assert len(shown) == 8 and "This is the only time we show these codes." in first
    assert first.count("Your administrator login is ready") >= 1
    again = text(client.get("/register/done"))
    assert "Your administrator login is ready" in again
    assert not re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", again)
    with db.unit_of_work() as s:
        stored = " ".join(s.scalars(select(RecoveryCode.code_hash)))
    assert stored.count(" ") == 7
    assert all(code.replace("-", "") not in stored for code in shown)


def test_r8_new_recovery_codes_void_the_old_ones(app, registered):
    _login_id, secret, step, shown = registered
    client = logged_in(app, secret, step)
    wrong = client.post("/portal/profile/recovery-codes", data={"current_password": "nicht mein Passwort"})
    assert wrong.status_code == 422 and "Your current password is not right." in text(wrong)
    made = client.post("/portal/profile/recovery-codes", data={"current_password": PASSWORD})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    fresh = re.findall(r"<li>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})</li>", text(made))
    assert len(fresh) == 8 and not set(fresh) & set(shown)
    other = new_client(app)
    password_step(other)
    other.get("/login/second-step?use=recovery")
    assert other.post("/login/second-step", data={"code": shown[0]}).status_code == 422
    assert other.post("/login/second-step", data={"code": fresh[0]}).status_code == 303
    issued = [d for a, d in actions() if a == "login.recovery_codes_issued"]
    assert issued[-1] == {"count": 8, "voided": 8}


def test_a_new_password_ends_every_other_session_of_the_login(app, registered):
    _login_id, secret, step, shown = registered
    here = logged_in(app, secret, step)
    elsewhere = logged_in(app, secret, step, recovery_code=shown[0])
    assert elsewhere.get("/portal/").status_code == 200
    changed = here.post("/portal/profile/password", data={"current_password": PASSWORD,
                                                          "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 303 and changed.headers["Location"].endswith("/portal/profile")
    assert "Every other session of your login has been ended" in text(here.get("/portal/profile"))
    assert here.get("/portal/").status_code == 200  # this browser got a fresh session
    assert elsewhere.get("/portal/").status_code == 302
    assert password_step(new_client(app)).status_code == 422
    assert password_step(new_client(app), NEW_PASSWORD).status_code == 303
    assert "login.password_changed" in [a for a, _ in actions()]


def test_a_new_password_needs_the_current_one_and_follows_the_rules(app, registered):
    _login_id, secret, step, _codes = registered
    client = logged_in(app, secret, step)
    wrong = client.post("/portal/profile/password", data={"current_password": "falsch falsch falsch",
                                                          "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "Your current password is not right." in text(wrong)
    short = client.post("/portal/profile/password", data={"current_password": PASSWORD,
                                                          "new_password": "kurz", "confirm": "kurz"})
    assert short.status_code == 422 and "at least 12 characters" in text(short)
    assert PASSWORD not in text(wrong) + text(short)
    assert client.get("/portal/").status_code == 200


def test_r8_a_new_authenticator_confirmed_by_sms_replaces_the_old_one(app, registered):
    login_id, secret, step, _codes = registered
    client = logged_in(app, secret, step)
    assert client.post("/portal/profile/authenticator/sms").status_code == 303
    keys = deliver_sms()
    code = code_from_file(keys[0])
    assert client.get("/portal/profile/authenticator/new").headers["Location"].endswith("/portal/profile/authenticator")
    confirmed = client.post("/portal/profile/authenticator", data={"current_password": PASSWORD, "method": "sms",
                                                                   "code": code})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/profile/authenticator/new")
    page = text(client.get("/portal/profile/authenticator/new"))
    new_secret = re.search(r'class="secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert new_secret != secret
    now_step = int(clock.now().timestamp()) // 30
    done = client.post("/portal/profile/authenticator/new", data={"otp": otp_at_step(new_secret, now_step)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/portal/profile")
    assert client.get("/portal/").status_code == 200
    old = new_client(app)
    password_step(old)
    assert old.post("/login/second-step", data={"otp": otp_at_step(secret, now_step + 1)}).status_code == 422
    new = new_client(app)
    password_step(new)
    assert new.post("/login/second-step", data={"otp": otp_at_step(new_secret, now_step + 1)}).status_code == 303
    assert "login.authenticator_changed" in [a for a, _ in actions()]


def test_r8_a_new_authenticator_needs_the_password_and_a_current_code(app, registered):
    _login_id, secret, step, _codes = registered
    client = logged_in(app, secret, step)
    no_password = client.post("/portal/profile/authenticator", data={
        "current_password": "nicht das Passwort", "method": "app", "code": otp_at_step(secret, step + 1)})
    assert no_password.status_code == 422 and "Your current password is not right." in text(no_password)
    replayed = client.post("/portal/profile/authenticator", data={
        "current_password": PASSWORD, "method": "app", "code": otp_at_step(secret, step)})
    assert replayed.status_code == 422 and "This code has been used already" in text(replayed)
    assert client.get("/portal/profile/authenticator/new").status_code == 303
    with db.unit_of_work() as s:
        assert s.scalar(select(Login.pending_totp_secret)) == ""


def test_a_member_session_ends_after_30_minutes_idle(app, registered, monkeypatch):
    _login_id, secret, step, _codes = registered
    client = logged_in(app, secret, step)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=29))
    assert client.get("/portal/").status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=29 + 31))
    ended = client.get("/portal/profile")
    assert ended.status_code == 303 and "/login?next=/portal/profile" in ended.headers["Location"]
    page = text(client.get(ended.headers["Location"]))
    assert "You were logged out because you were inactive for 30 minutes" in page
    assert client.get("/portal/").status_code == 302


def test_a_member_session_ends_12_hours_after_login_even_when_busy(app, registered, monkeypatch):
    _login_id, secret, step, _codes = registered
    client = logged_in(app, secret, step)
    start = clock.now()
    minutes = 0
    while minutes + 25 < 12 * 60:
        minutes += 25
        monkeypatch.setattr(clock, "now", lambda m=minutes: start + timedelta(minutes=m))
        assert client.get("/portal/").status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=12))
    ended = client.get("/portal/")
    assert ended.status_code == 303
    assert "logged in for 12 hours" in text(client.get(ended.headers["Location"]))


def test_a_staff_session_ends_after_30_minutes_idle(pg, monkeypatch):
    from staff_support import create_staff, english_client, log_in, make_app

    client = english_client(make_app())
    log_in(client, create_staff())
    assert client.get("/staff/").status_code == 200
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=31))
    ended = client.get("/staff/")
    assert ended.status_code == 303 and "/staff/login" in ended.headers["Location"]
    assert "inactive for 30 minutes" in text(client.get(ended.headers["Location"]))


def test_the_per_ip_limit_refuses_login_posts_beyond_it(pg):
    from web import create_app

    app = create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "3 per minute"})
    client = new_client(app)
    for _ in range(3):
        assert password_step(client, "Falsches Passwort 1").status_code == 422
    refused = password_step(client)
    assert refused.status_code == 429 and "Too many attempts" in text(refused)
    assert client.get("/login").status_code == 200  # only the POSTs are limited
    elsewhere = client.post("/login", data={"member_number": NUMBER, "email": EMAIL, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert elsewhere.status_code == 422  # another address has its own count
    with db.unit_of_work() as s:
        assert len(list(s.scalars(select(AuthFailure)))) == 4  # the refused POST was not even checked


def test_every_profile_form_needs_its_csrf_token(registered):
    from web import create_app

    _login_id, secret, step, _codes = registered
    app = create_app({"TESTING": True})
    client = new_client(app)
    page = text(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "member_number": NUMBER, "email": EMAIL, "password": PASSWORD})
    client.post("/login/second-step", data={"csrf_token": token, "otp": otp_at_step(secret, step)})
    assert client.get("/portal/profile").status_code == 200
    for path in ("/portal/profile/password", "/portal/profile/recovery-codes", "/portal/profile/authenticator"):
        forged = client.post(path, data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                         "confirm": NEW_PASSWORD, "method": "app", "code": "123456"})
        assert forged.status_code == 400
    with db.unit_of_work() as s:
        assert "login.password_changed" not in list(s.scalars(select(AuditEvent.action)))


def test_r8_with_the_phone_lost_a_recovery_code_confirms_a_new_authenticator(app, registered):
    _login_id, secret, step, shown = registered
    client = logged_in(app, secret, step, recovery_code=shown[0])
    malformed = client.post("/portal/profile/authenticator", data={"current_password": PASSWORD,
                                                                   "method": "recovery", "code": "123456"})
    assert malformed.status_code == 422 and "13 letters and digits" in text(malformed)
    spent = client.post("/portal/profile/authenticator", data={"current_password": PASSWORD,
                                                               "method": "recovery", "code": shown[0]})
    assert spent.status_code == 422 and "This code has been used already" in text(spent)
    confirmed = client.post("/portal/profile/authenticator", data={"current_password": PASSWORD,
                                                                   "method": "recovery", "code": shown[1]})
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/profile/authenticator/new")
    assert ("login.recovery_code_used", {"left": 6}) in actions()
