"""Login with password + TOTP under gunicorn: complete two-step logins per second and their p99, against the
hello-world Flask POST under the same gunicorn settings and the same client, in the same run.

A login is four HTTP requests: the login page (CSRF token), the password, the second-step page, the TOTP. Each
benchmark login signs in once, since a TOTP is never accepted twice (R8). The password check is argon2, slow on
purpose (R8), so this measures mostly that."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from itertools import repeat

import pyotp
import requests

from bench.services import env_with, free_port, scratch_database, wait_for_port

PASSWORD = "Glacier-Orbit-Tulip-42"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Result:
    name: str
    per_second: float
    p99_ms: float
    http_per_second: float


def _make_logins(count: int) -> list[tuple[str, str, str]]:
    from core import clock, db, secrets_box
    from core.domain import rights, totp
    from core.models import Login, Member

    now = clock.now()
    password_hash = secrets_box.hash_password(PASSWORD)
    made = []
    with db.unit_of_work() as s:
        for i in range(count):
            member = Member(member_number=f"B{i:06d}", uid="CHE-100.155.212", name=f"Firma {i}", street="Weg 1",
                            postcode="3000", town="Bern", language="de", created_at=now, updated_at=now)
            s.add(member)
            s.flush()
            secret = totp.new_secret()
            s.add(Login(member_id=member.id, name="Anna", email=f"anna{i}@example.ch", mobile="+41791234567",
                        language="de", password_hash=password_hash, totp_secret=secrets_box.encrypt(secret),
                        rights=list(rights.CATALOGUE), status="active", created_at=now, activated_at=now))
            made.append((member.member_number, f"anna{i}@example.ch", secret))
    return made


def _login_once(base: str, account: tuple[str, str, str]) -> None:
    number, email, secret = account
    with requests.Session() as http:
        token = CSRF.search(http.get(f"{base}/login", timeout=30).text).group(1)  # type: ignore[union-attr]
        answer = http.post(f"{base}/login", data={"csrf_token": token, "member_number": number, "email": email,
                                                  "password": PASSWORD}, timeout=30)
        token = CSRF.search(answer.text).group(1)  # type: ignore[union-attr]
        done = http.post(f"{base}/login/second-step", data={"csrf_token": token, "otp": pyotp.TOTP(secret).now()},
                         timeout=30)
        if not done.url.endswith("/portal/"):
            raise RuntimeError(f"login of {number} did not reach the portal ({done.status_code})")


def _hello_once(base: str, _account: object) -> None:
    if requests.post(f"{base}/api/v1/requests", json={"kind": "hello"}, timeout=30).status_code != 202:
        raise RuntimeError("hello-world did not answer 202")


def _drive(base: str, action, accounts, threads: int, seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    times: list[float] = []
    lock = threading.Lock()
    queue = iter(accounts)
    end = time.monotonic() + seconds
    done = object()

    def worker() -> None:
        while time.monotonic() < end:
            with lock:
                account = next(queue, done)
            if account is done:
                return
            start = time.perf_counter()
            action(base, account)
            with lock:
                times.append(time.perf_counter() - start)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return times


def _serve(app: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "8", "--bind",
                             f"127.0.0.1:{port}", "--log-level", "warning", app], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def run(seconds: float = 10, threads: int = 8, logins: int = 1500) -> list[Result]:
    import os

    results = []
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bo_bench_login") as url:
        env = env_with(DATABASE_URL=url, BROKER_URL="redis://127.0.0.1:6379/13", VAR_DIR=tmp,
                       RATELIMIT_AUTH="1000000 per second")
        os.environ.update(DATABASE_URL=url, VAR_DIR=tmp)
        from core import config, db

        config.reset()
        db.dispose()
        accounts = _make_logins(logins)
        db.dispose()
        for name, app, action, per_op in (("hello-world Flask POST", "bench.hello:app", _hello_once, 1),
                                          ("login: password + TOTP", "web.wsgi:app", _login_once, 4)):
            port = free_port()
            server = _serve(app, env, port)
            try:
                wait_for_port(port)
                base = f"http://127.0.0.1:{port}"
                _drive(base, action, accounts[:20] if per_op == 4 else repeat(None, 50), 4, 30)  # warm every worker
                pool = accounts[20:] if per_op == 4 else repeat(None)
                times = sorted(_drive(base, action, pool, threads, seconds))
                rate = len(times) / seconds
                p99 = times[max(0, int(0.99 * len(times)) - 1)] * 1000
                results.append(Result(name, rate, p99, rate * per_op))
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(30)
    return results


def report(results: list[Result]) -> None:
    base, login = results
    print("\n== login with password + TOTP: gunicorn 2 workers x 8 threads, 8 client threads ==")
    print(f"{base.name:<26} {base.per_second:8.1f} req/s     p99 {base.p99_ms:8.1f} ms")
    print(f"{login.name:<26} {login.per_second:8.1f} logins/s  p99 {login.p99_ms:8.1f} ms per login "
          f"({login.http_per_second:.1f} HTTP req/s)")
    print(f"ratio (login HTTP requests / hello-world requests) {login.http_per_second / base.per_second:.3f}x; "
          "each login checks one argon2 password hash (R8), slow on purpose")
