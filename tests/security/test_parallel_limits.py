"""R3, R9 under parallel requests, as an attacker sends them: many clients with their own sessions, released at
once against a real gunicorn with several worker processes, on PostgreSQL and on the embedded SQLite. Counting the
earlier failures and recording the new one is one step (core.attempt_locks), so no more guesses are looked at than
the limit allows, however many arrive together."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests as http
from sqlalchemy import func, select

from bench.services import free_port, wait_for_port
from core import config, db, migrate
from core.models import AuthFailure, CodeAttempt
from tests.integration.admin_support import ALL, PASSWORD, make_login, make_member

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
NO_MATCH = "This member number and code do not match a valid registration code"
WRONG_PASSWORD = "The member number, e-mail address or password is wrong."
WRONG_OTP = "This code is not right"
NUMBER, EMAIL = "700700", "anna@parallel.example"


@pytest.fixture(params=["postgresql", "sqlite"])
def site(request, pg, tmp_path, monkeypatch) -> Iterator[str]:
    """The web app under gunicorn (4 worker processes, 4 threads each) on the chosen database, with one member
    and its administrator; the per-IP limit is raised so that only R3 and R9 answer."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'backoffice.sqlite'}"
        monkeypatch.setenv("DATABASE_URL", url)
        config.reset()
        db.dispose()
        migrate.upgrade(url)
    member_id = make_member(NUMBER, "Parallel AG")
    make_login(member_id, "Anna Admin", EMAIL, ALL)
    port = free_port()
    env = {**os.environ, "RATELIMIT_AUTH": "10000 per minute", "RATELIMIT_INTAKE": "10000 per minute"}
    log = (tmp_path / "web.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "4", "--bind",
                             f"127.0.0.1:{port}", "web.wsgi:app"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        log.close()
        db.dispose()
    monkeypatch.undo()
    config.reset()
    db.dispose()


class Client:
    """One attacker's browser: its own cookies and CSRF token."""

    def __init__(self, base: str, page: str) -> None:
        self.base, self.http = base, http.Session()
        self.http.headers["Accept-Language"] = "en"
        # A new connection for each request: gunicorn closes an idle keep-alive connection after 2 s, and a POST
        # sent on it as it closes is lost in transit rather than answered (requests retries no POST).
        self.http.headers["Connection"] = "close"
        self.token = TOKEN.search(self.http.get(base + page, timeout=30).text).group(1)

    def post(self, path: str, form: dict[str, str]) -> str:
        reply = self.http.post(self.base + path, data={**form, "csrf_token": self.token}, timeout=60)
        assert reply.status_code < 500, reply.text[:300]
        return html.unescape(reply.text)


def _all_at_once(clients: list[Client], send) -> list[str]:
    start = threading.Barrier(len(clients))

    def one(client: Client) -> str:
        start.wait()
        return send(client)

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(one, clients))


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_r3_sixty_wrong_codes_at_once_are_looked_at_five_times(site, report):
    row = report.row("R3/R9 guesses sent at once (gunicorn, PostgreSQL and SQLite)")
    row.runs = 60
    clients = [Client(site, "/register") for _ in range(60)]
    answers = _all_at_once(clients, lambda c: c.post("/register", {"member_number": NUMBER,
                                                                    "code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}))
    looked_at = sum(NO_MATCH in answer for answer in answers)
    assert looked_at == 5, f"{looked_at} of 60 parallel wrong codes were checked; the limit is 5"
    assert _count(CodeAttempt, CodeAttempt.member_number == NUMBER) == 5


def test_r9_forty_wrong_passwords_at_once_are_looked_at_ten_times(site, report):
    report.row("R3/R9 guesses sent at once (gunicorn, PostgreSQL and SQLite)").runs = 40
    clients = [Client(site, "/login") for _ in range(40)]
    answers = _all_at_once(clients, lambda c: c.post("/login", {"member_number": NUMBER, "email": EMAIL,
                                                                "password": "Wrong-Guess-2026"}))
    looked_at = sum(WRONG_PASSWORD in answer for answer in answers)
    assert looked_at == 10, f"{looked_at} of 40 parallel wrong passwords were checked; the limit is 10"
    assert _count(AuthFailure, AuthFailure.factor == "password") == 10


def test_r9_twenty_five_wrong_second_factors_at_once_are_looked_at_five_times(site, report):
    report.row("R3/R9 guesses sent at once (gunicorn, PostgreSQL and SQLite)").runs = 25
    clients = [Client(site, "/login") for _ in range(25)]
    for client in clients:  # each has passed the password step, as the attacker who knows the password has
        client.post("/login", {"member_number": NUMBER, "email": EMAIL, "password": PASSWORD})
        client.token = TOKEN.search(client.http.get(site + "/login/second-step", timeout=30).text).group(1)
    answers = _all_at_once(clients, lambda c: c.post("/login/second-step", {"otp": "000000"}))
    looked_at = sum(WRONG_OTP in answer for answer in answers)
    assert looked_at <= 5, f"{looked_at} of 25 parallel wrong codes were checked; the limit is 5"
    assert _count(AuthFailure, AuthFailure.factor != "password") == 5
