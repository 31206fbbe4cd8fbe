"""Hostile 3: guessing is throttled at the stated limits, per account and per IP address, and the answers do not
tell a wrong member number from a wrong code, neither in the page nor in the time it takes.
R3: 5 wrong codes per member per 15 minutes, a new code does not reset the count; R9: 10 failed passwords per 5
minutes per login and per IP, 5 failed second factors (app or SMS alike) per 5 minutes; and a coarse per-IP limit
(fixed-window counters in Redis, web/limits.py) on every route that checks a secret, the public intake included."""

from __future__ import annotations

import logging
import os
import random
import re
import secrets
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock, config, db
from core.domain import codes
from core.domain.states import CodeStatus
from core.models import Member, RegistrationCode
from tests.integration.admin_support import ALL, PASSWORD, make_login, make_member, new_client, next_otp

NO_MATCH = "This member number and code do not match a valid registration code"
BLOCKED = "Too many wrong codes. Wait 15 minutes"
PASSWORD_THROTTLED = "Too many failed attempts. Wait 5 minutes"
OTP_THROTTLED = "Too many wrong codes. Wait 5 minutes"
WRONG_CODE = "ABCD-EFGH-JKMN-PQRS"


def _ip() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
def app(pg):
    from web import create_app

    # The per-IP limit counts in the session's Redis, as in production; each test comes from its own addresses.
    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_STORAGE_URI": os.environ["BROKER_URL"],
                       "RATELIMIT_AUTH": "1000 per minute"})


def _client(app, ip: str):
    client = new_client(app)
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _issue_code(member_id: int, number: str, code: str) -> None:
    """A code as a letter would carry it: only its keyed hash is stored (R2); older unused codes are voided."""
    now = clock.now()
    with db.unit_of_work() as s:
        for old in s.scalars(select(RegistrationCode).where(RegistrationCode.member_id == member_id,
                                                            RegistrationCode.status == CodeStatus.ISSUED)):
            old.status, old.void_reason = CodeStatus.VOIDED, "replaced"
        s.add(RegistrationCode(member_id=member_id, purpose="registration", status=CodeStatus.ISSUED, issued_at=now,
                               expires_on=(now + timedelta(days=21)).date(), void_reason="",
                               code_hash=codes.keyed_hash(config.get().code_hmac_secret, number, codes.read(code))))


def _register(client, number: str, code: str):
    return client.post("/register", data={"member_number": number, "code": code})


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_r3_five_wrong_codes_block_the_member_and_a_new_code_does_not_reset_the_count(app, report):
    row = report.row("R3 code guessing per member")
    member = make_member("770001", "Guess AG")
    _issue_code(member, "770001", "QRST-VWXY-Z012-3456")
    answers = [_register(_client(app, _ip()), "770001", WRONG_CODE) for _ in range(5)]  # five addresses
    assert all(r.status_code == 422 and NO_MATCH in _text(r) for r in answers)
    right = _register(_client(app, _ip()), "770001", "QRST-VWXY-Z012-3456")
    assert right.status_code == 422 and BLOCKED in _text(right), "the 6th try is blocked, even the right code"
    _issue_code(member, "770001", "2345-6789-ABCD-EFGH")  # a new letter
    fresh = _register(_client(app, _ip()), "770001", "2345-6789-ABCD-EFGH")
    assert fresh.status_code == 422 and BLOCKED in _text(fresh), "a new code does not reset the count (R3)"
    with db.unit_of_work() as s:
        assert s.scalar(select(Member.code_failures).where(Member.id == member)) == 5
    with db.unit_of_work() as s:  # 15 minutes later the new code works
        later = clock.now() + timedelta(minutes=16)
        from core.logins import registration

        assert registration.open_with_code(s, "770001", codes.read("2345-6789-ABCD-EFGH"), later).result == "ok"
    row.runs = 7


def test_r3_an_unknown_member_number_is_throttled_like_a_known_one(app, report):
    row = report.row("R3 code guessing per member")
    answers = [_register(_client(app, _ip()), "999999", WRONG_CODE) for _ in range(6)]
    row.runs = 6
    assert [BLOCKED in _text(r) for r in answers] == [False] * 5 + [True]


def _normalised(response) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', re.sub(r"[0-9a-f]{32}", "", _text(response)))


def test_r3_wrong_member_number_and_wrong_code_look_the_same_in_body_and_timing(app, report):
    row = report.row("R3 wrong number vs wrong code: same answer")
    tries = 30
    known = [f"78{i:04d}" for i in range(tries)]
    for number in known:
        _issue_code(make_member(number, f"Known {number} AG"), number, "QRST-VWXY-Z012-3456")
    client = _client(app, _ip())
    _register(client, known[0], WRONG_CODE)  # warm-up: templates, connections, the decoy paths
    _register(client, "555555", WRONG_CODE)
    timings: dict[str, list[float]] = {"wrong code": [], "wrong member number": []}
    bodies: dict[str, set[str]] = {"wrong code": set(), "wrong member number": set()}
    for i in range(1, tries):  # interleaved, so a slow moment of the machine hits both
        for kind, number in (("wrong code", known[i]), ("wrong member number", f"59{i:04d}")):
            started = time.perf_counter()
            response = _register(client, number, WRONG_CODE)
            timings[kind].append(time.perf_counter() - started)
            bodies[kind].add(_normalised(response).replace(number, "NUMBER"))
            row.runs += 1
    assert bodies["wrong code"] == bodies["wrong member number"] and len(bodies["wrong code"]) == 1
    code_ms, number_ms = (statistics.median(timings[k]) * 1000 for k in ("wrong code", "wrong member number"))
    print(f"\nmedian: wrong code {code_ms:.2f} ms, wrong member number {number_ms:.2f} ms")
    assert abs(code_ms - number_ms) <= max(1.5, 0.2 * min(code_ms, number_ms)), (code_ms, number_ms)


def test_r9_ten_failed_passwords_lock_the_login_for_five_minutes(app, report):
    row = report.row("R9 password guessing per login / per IP")
    member = make_member("770100", "Password AG")
    make_login(member, "Anna Admin", "anna@pw.example", ALL)
    answers = [_client(app, _ip()).post("/login", data={"member_number": "770100", "email": "anna@pw.example",
                                                         "password": f"wrong {i}"}) for i in range(10)]
    assert all(r.status_code == 422 and PASSWORD_THROTTLED not in _text(r) for r in answers)
    right = _client(app, _ip()).post("/login", data={"member_number": "770100", "email": "anna@pw.example",
                                                    "password": PASSWORD})
    assert right.status_code != 303 and PASSWORD_THROTTLED in _text(right), "the 11th try, even right, is refused"
    row.runs = 11


def test_r9_ten_failed_passwords_from_one_ip_lock_that_ip_not_others(app, report):
    row = report.row("R9 password guessing per login / per IP")
    member = make_member("770200", "Ip AG")
    make_login(member, "Anna Admin", "anna@ip.example", ALL)
    attacker = _ip()
    for i in range(10):  # ten different accounts, one address
        _client(app, attacker).post("/login", data={"member_number": f"77{i:04d}", "email": f"x{i}@ip.example",
                                                    "password": "guess"})
    from_attacker = _client(app, attacker).post("/login", data={"member_number": "770200", "email": "anna@ip.example",
                                                                "password": PASSWORD})
    elsewhere = _client(app, _ip()).post("/login", data={"member_number": "770200", "email": "anna@ip.example",
                                                         "password": PASSWORD})
    row.runs = 12
    assert PASSWORD_THROTTLED in _text(from_attacker)
    assert elsewhere.status_code == 303, "the same login from another address still gets in"


def test_r9_an_attackers_failures_do_not_lock_the_owner_out_of_a_browser_the_owner_has_used(app, report):
    """OWASP device cookies: after a complete two-step login the owner's browser is known; ten guesses from other
    addresses lock the login for unknown browsers only, and the owner's own failures there still count."""
    row = report.row("R9 an attacker's guesses do not lock the owner out")
    member = make_member("770400", "Owner AG")
    login_id, secret = make_login(member, "Anna Admin", "anna@owner.example", ALL)
    owner = _client(app, "192.0.2.10")
    assert owner.post("/login", data={"member_number": "770400", "email": "anna@owner.example",
                                      "password": PASSWORD}).status_code == 303
    assert owner.post("/login/second-step", data={"otp": next_otp(login_id, secret)}).status_code == 303
    assert owner.get_cookie("connect_device", path="/login") is not None
    owner.post("/logout")
    for i in range(10):  # an attacker, from ten addresses
        _client(app, _ip()).post("/login", data={"member_number": "770400", "email": "anna@owner.example",
                                                 "password": f"guess {i}"})
    stranger = _client(app, _ip()).post("/login", data={"member_number": "770400", "email": "anna@owner.example",
                                                         "password": PASSWORD})
    assert PASSWORD_THROTTLED in _text(stranger), "an unknown browser is locked out"
    again = owner.post("/login", data={"member_number": "770400", "email": "anna@owner.example",
                                       "password": PASSWORD})
    assert again.status_code == 303, "the owner's browser still gets in"
    owner.post("/logout")
    forged = _client(app, _ip())
    forged.set_cookie("connect_device", "1.forged.signature", path="/login")
    refused = forged.post("/login", data={"member_number": "770400", "email": "anna@owner.example",
                                          "password": PASSWORD})
    assert PASSWORD_THROTTLED in _text(refused), "a forged device cookie counts for nothing"
    for i in range(10):  # failures in the owner's browser count there (R9 still holds for it)
        owner.post("/login", data={"member_number": "770400", "email": "anna@owner.example", "password": f"typo {i}"})
    locked = owner.post("/login", data={"member_number": "770400", "email": "anna@owner.example",
                                        "password": PASSWORD})
    assert PASSWORD_THROTTLED in _text(locked)
    row.runs = 34


def _first_step(app, number: str, email: str):
    client = _client(app, _ip())
    assert client.post("/login", data={"member_number": number, "email": email, "password": PASSWORD}
                       ).status_code == 303
    return client


def test_r9_five_failed_second_factors_app_or_sms_lock_the_second_step(app, report):
    row = report.row("R9 TOTP/SMS guessing")
    member = make_member("770300", "Otp AG")
    login_id, secret = make_login(member, "Anna Admin", "anna@otp.example", ALL)
    client = _first_step(app, "770300", "anna@otp.example")
    for _ in range(3):
        assert client.post("/login/second-step", data={"otp": "000000"}).status_code == 422
    client.get("/login/second-step?use=sms")
    client.post("/login/second-step/sms", data={})
    for _ in range(2):
        assert client.post("/login/second-step", data={"code": "000000"}).status_code == 422
    client.get("/login/second-step?use=app")
    right = client.post("/login/second-step", data={"otp": next_otp(login_id, secret)})
    row.runs = 6
    assert right.status_code == 422 and OTP_THROTTLED in _text(right), "the 6th, even right, is refused"
    again = _first_step(app, "770300", "anna@otp.example")  # a new first step does not reset the count either
    assert OTP_THROTTLED in _text(again.post("/login/second-step", data={"otp": next_otp(login_id, secret)}))


# The staff login answers R9's own refusal (10 failures per IP) with 429 already, before the coarse limit.
@pytest.mark.parametrize("path,form,answered", [
    ("/register", {"member_number": "1", "code": WRONG_CODE}, 30),
    ("/login", {"member_number": "1", "email": "a@b.ch", "password": "x"}, 30),
    ("/login/second-step", {"otp": "123456"}, 30),
    ("/staff/login/code", {"otp": "123456"}, 30),
    ("/requests/new-code", {"member_number": "1"}, 30),
    ("/staff/login", {"username": "x", "password": "y"}, 10),
])
def test_per_ip_limit_on_every_route_that_checks_a_secret_and_on_the_public_intake(pg, report, path, form, answered):
    from web import create_app

    row = report.row("per-IP limit (fixed window, Redis)")
    app = create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_STORAGE_URI": os.environ["BROKER_URL"],
                      "RATELIMIT_AUTH": "30 per minute", "RATELIMIT_INTAKE": "30 per minute"})
    attacker = _ip()
    statuses = [_client(app, attacker).post(path, data=form).status_code for _ in range(31)]
    row.runs = len(statuses)
    assert 429 not in statuses[:answered] and set(statuses[30:]) == {429}, statuses
    assert _client(app, _ip()).post(path, data=form).status_code != 429, "another address is not affected"


@pytest.mark.parametrize("store", ["redis", "memory://"])
def test_parallel_requests_from_one_address_get_exactly_its_allowance(pg, report, store):
    """Forty requests at once from one address against an allowance of ten: each count is one atomic increment,
    so exactly ten reach the intake (in Redis as deployed, and in memory as `make run` keeps them)."""
    from web import create_app

    row = report.row("per-IP limit (fixed window, Redis)")
    uri = os.environ["BROKER_URL"] if store == "redis" else store
    app = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": uri, "RATELIMIT_INTAKE": "10 per minute"})
    attacker = _ip()

    def send(_n: int) -> int:
        return _client(app, attacker).post("/api/v1/requests", json={"kind": "new_code"}).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(send, range(40)))
    row.runs += len(statuses)
    assert sorted(statuses) == [422] * 10 + [429] * 30, statuses


def test_the_json_api_is_limited_per_ip_with_a_json_answer(pg, report):
    from web import create_app

    row = report.row("per-IP limit (fixed window, Redis)")
    app = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": os.environ["BROKER_URL"],
                      "RATELIMIT_INTAKE": "5 per minute"})
    client = _client(app, _ip())
    replies = [client.post("/api/v1/requests", json={"kind": "new_code"}) for _ in range(6)]
    row.runs = len(replies)
    assert [r.status_code for r in replies] == [422] * 5 + [429]
    assert replies[-1].get_json()["error"] == "too_many_requests" and replies[-1].headers["Retry-After"] == "60"
    documented = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "429" in documented["paths"]["/requests"]["post"]["responses"], "the limit is part of the API's contract"


def test_the_intake_limit_counts_every_form_and_the_api_together(pg, report):
    """One address that spreads its requests over the forms and the API gets one allowance, not one per route."""
    from web import create_app

    row = report.row("per-IP limit (fixed window, Redis)")
    app = create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_STORAGE_URI": os.environ["BROKER_URL"],
                      "RATELIMIT_INTAKE": "8 per minute"})
    attacker = _client(app, _ip())
    routes = ["/requests/new-code", "/requests/old-logins", "/requests/trustee-code", "/support"]
    statuses = [attacker.post(routes[n % 4], data={"member_number": "1"}).status_code for n in range(8)]
    statuses.append(attacker.post("/api/v1/requests", json={"kind": "new_code"}).status_code)
    statuses += [attacker.post(route, data={"member_number": "1"}).status_code for route in routes]
    row.runs += len(statuses)
    assert 429 not in statuses[:8] and set(statuses[8:]) == {429}, statuses


def test_an_unreachable_limit_store_lets_requests_through_and_says_so(pg, report, caplog):
    """Redis away must not turn every login and request into an error: the rules in the database still hold."""
    from web import create_app

    report.row("per-IP limit (fixed window, Redis)").runs += 3
    caplog.set_level(logging.WARNING)
    app = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens there
                      "RATELIMIT_INTAKE": "1 per minute"})
    client = _client(app, _ip())
    assert [client.post("/api/v1/requests", json={"kind": "new_code"}).status_code for _ in range(3)] == [422] * 3
    assert "limits.storage_unavailable" in caplog.text


def test_a_store_that_hangs_costs_one_short_wait_not_every_thread(pg, report, caplog):
    """A Redis that accepts connections and never answers: the first request waits for the short timeout, the
    following ones do not ask it again for a while, so the site stays up."""
    from web import create_app

    report.row("per-IP limit (fixed window, Redis)").runs += 4
    caplog.set_level(logging.WARNING)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts connections; nothing ever reads or answers them
    try:
        app = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
                          "RATELIMIT_INTAKE": "1 per minute"})
        client = _client(app, _ip())
        waits = []
        for _ in range(4):
            started = time.monotonic()
            assert client.post("/api/v1/requests", json={"kind": "new_code"}).status_code == 422
            waits.append(time.monotonic() - started)
    finally:
        silent.close()
    assert waits[0] < 2, waits  # redis-py alone would wait with no timeout and retry three times
    assert max(waits[1:]) < 0.2, waits
    assert caplog.text.count("limits.storage_unavailable") == 1


def test_production_refuses_counts_each_worker_keeps_for_itself(pg, monkeypatch):
    from cryptography.fernet import Fernet

    from web import create_app

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("CODE_HMAC_SECRET", secrets.token_urlsafe(48))
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    config.reset()
    try:
        with pytest.raises(config.InsecureConfiguration, match="set RATELIMIT_STORAGE_URI to the Redis"):
            create_app({"RATELIMIT_STORAGE_URI": "memory://"})
        assert create_app({"RATELIMIT_STORAGE_URI": os.environ["BROKER_URL"]}) is not None
    finally:
        monkeypatch.undo()
        config.reset()


def _one_client_written_eleven_ways(kind: str) -> list[str]:
    net, host = random.randrange(1, 0xFFFF), random.randrange(1, 255)  # counts from earlier runs stay a minute
    return {
        "one /64": [f"2001:db8:7:{net:x}::{n:x}" for n in range(1, 12)],
        "a port each": [f"203.0.113.{host}:{40000 + n}" for n in range(11)],
        "nonsense": [f"not-an-address-{net}-{n}" for n in range(11)],  # counted as the proxy that wrote it
    }[kind]


@pytest.mark.parametrize("kind", ["one /64", "a port each", "nonsense"])
def test_one_client_behind_the_proxy_cannot_write_itself_a_fresh_allowance(pg, report, monkeypatch, kind):
    from web import create_app

    written = _one_client_written_eleven_ways(kind)
    report.row("per-IP limit (fixed window, Redis)").runs += len(written)
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    config.reset()
    try:
        app = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": os.environ["BROKER_URL"],
                          "RATELIMIT_INTAKE": "10 per minute"})
        proxy = _client(app, _ip())
        statuses = [proxy.post("/api/v1/requests", json={"kind": "new_code"},
                               headers={"X-Forwarded-For": address}).status_code for address in written]
    finally:
        monkeypatch.undo()
        config.reset()
    assert statuses == [422] * 10 + [429], (written, statuses)


def test_a_limit_that_cannot_be_read_names_its_setting(pg):
    from web import create_app

    with pytest.raises(ValueError, match="RATELIMIT_INTAKE must read like '30 per minute'"):
        create_app({"TESTING": True, "RATELIMIT_INTAKE": "lots"})


@pytest.mark.parametrize(("hops", "counted_as"), [("0", "198.51.100.7"), ("1", "203.0.113.9")])
def test_r9_the_client_address_comes_from_a_trusted_proxy_only_when_configured(pg, monkeypatch, hops, counted_as,
                                                                              report):
    report.row("R9 client address behind a configured number of proxies").runs += 1
    from core.models import AuthFailure
    from web import create_app

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", hops)
    config.reset()
    try:
        app = create_app({"WTF_CSRF_ENABLED": False, "TESTING": True, "RATELIMIT_AUTH": "1000 per minute"})
        client = _client(app, "198.51.100.7")  # the proxy
        client.post("/login", data={"member_number": "1", "email": "a@b.ch", "password": "x"},
                    headers={"X-Forwarded-For": "203.0.113.9"})
    finally:
        monkeypatch.undo()
        config.reset()
    with db.unit_of_work() as s:
        assert s.scalar(select(AuthFailure.ip)) == counted_as
