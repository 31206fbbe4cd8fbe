"""R3, R9 under parallel requests, as an attacker sends them: many clients with their own sessions, released at
once against a real gunicorn with several worker processes, on PostgreSQL and on the embedded SQLite. Counting the
earlier failures and recording the new one is one step (core.attempt_locks), so no more guesses are looked at than
the limit allows, however many arrive together."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.models import AuthFailure, CodeAttempt
from tests.integration.admin_support import ALL, PASSWORD, make_login, make_member
from tests.security.live_site import TOKEN, Client, all_at_once, count, site_on

NO_MATCH = "This member number and code do not match a valid registration code"
WRONG_PASSWORD = "The member number, e-mail address or password is wrong."
WRONG_OTP = "This code is not right"
NUMBER, EMAIL = "700700", "anna@parallel.example"


def _member_and_administrator() -> None:
    make_login(make_member(NUMBER, "Parallel AG"), "Anna Admin", EMAIL, ALL)


@pytest.fixture(params=["postgresql", "sqlite"])
def site(request, pg, tmp_path, monkeypatch) -> Iterator[str]:
    """The web app under gunicorn on the chosen database, with one member and its administrator."""
    with site_on(request.param, tmp_path, monkeypatch, _member_and_administrator) as base:
        yield base


def test_r3_sixty_wrong_codes_at_once_are_looked_at_five_times(site, report):
    row = report.row("R3/R9 guesses sent at once (gunicorn, PostgreSQL and SQLite)")
    row.runs = 60
    clients = [Client(site, "/register") for _ in range(60)]
    answers = all_at_once(clients, lambda c: c.post("/register", {"member_number": NUMBER,
                                                                    "code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}))
    looked_at = sum(NO_MATCH in answer for answer in answers)
    assert looked_at == 5, f"{looked_at} of 60 parallel wrong codes were checked; the limit is 5"
    assert count(CodeAttempt, CodeAttempt.member_number == NUMBER) == 5


def test_r9_forty_wrong_passwords_at_once_are_looked_at_ten_times(site, report):
    report.row("R3/R9 guesses sent at once (gunicorn, PostgreSQL and SQLite)").runs = 40
    clients = [Client(site, "/login") for _ in range(40)]
    answers = all_at_once(clients, lambda c: c.post("/login", {"member_number": NUMBER, "email": EMAIL,
                                                                "password": "Wrong-Guess-2026"}))
    looked_at = sum(WRONG_PASSWORD in answer for answer in answers)
    assert looked_at == 10, f"{looked_at} of 40 parallel wrong passwords were checked; the limit is 10"
    assert count(AuthFailure, AuthFailure.factor == "password") == 10


def test_r9_twenty_five_wrong_second_factors_at_once_are_looked_at_five_times(site, report):
    report.row("R3/R9 guesses sent at once (gunicorn, PostgreSQL and SQLite)").runs = 25
    clients = [Client(site, "/login") for _ in range(25)]
    for client in clients:  # each has passed the password step, as the attacker who knows the password has
        client.post("/login", {"member_number": NUMBER, "email": EMAIL, "password": PASSWORD})
        client.token = TOKEN.search(client.http.get(site + "/login/second-step", timeout=30).text).group(1)
    answers = all_at_once(clients, lambda c: c.post("/login/second-step", {"otp": "000000"}))
    looked_at = sum(WRONG_OTP in answer for answer in answers)
    assert looked_at <= 5, f"{looked_at} of 25 parallel wrong codes were checked; the limit is 5"
    assert count(AuthFailure, AuthFailure.factor != "password") == 5
