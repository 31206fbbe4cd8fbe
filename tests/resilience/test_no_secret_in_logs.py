"""Hostile 5, the logs: a full run through real processes (gunicorn, a worker, beat): a member is imported and
its invitation letter rendered, the first administrator registers with the code from the PDF, sets a password
and an authenticator, sees the recovery codes, logs in with the app and with an SMS code, and a few wrong
guesses are made on the way. Then every line the processes wrote is searched for each secret the test used:
the registration code (as printed and as typed), passwords right and wrong, the TOTP secret, every one-time
password, the SMS code and the recovery codes. None may appear."""

from __future__ import annotations

import html
import re
import sys

import pyotp
import requests as http
from pypdf import PdfReader
from resilience_support import add_members
from sqlalchemy import select

from bench.services import free_port, wait_for_port
from core import clock, db
from core.codes import codes as code_service
from core.domain.states import LetterStatus
from core.models import Letter, Member
from tests.polling import poll

PASSWORD = "Weidenkätzchen am Bachufer 7"
WRONG_PASSWORD = "Guessed-Password-123!"
CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECOVERY = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})\b")


class Browser:
    def __init__(self, base: str) -> None:
        self.base, self.http = base, http.Session()
        self.http.headers["Accept-Language"] = "en"

    def get(self, path: str) -> str:
        reply = self.http.get(self.base + path, timeout=30)
        assert reply.status_code == 200, (path, reply.status_code)
        return html.unescape(reply.text)

    def post(self, path: str, form: dict[str, str], expect: int = 303, page: str = "") -> http.Response:
        token = TOKEN.search(self.get(page or path)).group(1)
        reply = self.http.post(self.base + path, data={**form, "csrf_token": token}, allow_redirects=False,
                               timeout=30)
        assert reply.status_code == expect, (path, reply.status_code, reply.text[:300])
        return reply


def _letter_code(number: str) -> str:
    def rendered() -> str | None:
        with db.unit_of_work() as s:
            return s.scalar(select(Letter.pdf_path).join(Member, Member.id == Letter.member_id)
                            .where(Member.member_number == number, Letter.status == LetterStatus.RENDERED))

    path = poll(rendered, 60, "the invitation letter")
    return CODE.search(PdfReader(path).pages[0].extract_text()).group(1)


def test_r1_r8_r18_no_code_password_otp_or_secret_in_any_log_line(stack, report):
    row = report.row("no secret in any log line (full run)")
    number = add_members(1, prefix="2")[0]
    with db.unit_of_work() as s:
        member = s.scalar(select(Member).where(Member.member_number == number))
        code_service.issue_letter(s, member, "invitation", clock.now())
    port = free_port()
    stack.start("web", [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                        "web.wsgi:app"], PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    wait_for_port(port)
    stack.worker("logs-worker", beat=True)
    code = _letter_code(number)
    secrets = {"code": code, "typed code": code.replace("-", "").lower(), "password": PASSWORD,
               "wrong password": WRONG_PASSWORD}
    web = Browser(f"http://127.0.0.1:{port}")

    web.post("/register", {"member_number": number, "code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}, expect=422)  # a wrong guess
    web.post("/register", {"member_number": number, "code": secrets["typed code"]})
    web.post("/register/details", {"name": "Lea Muster", "email": "lea@muster.example", "mobile": "079 123 45 67",
                                   "password": PASSWORD, "confirm": PASSWORD, "language": "en"})
    secret = re.search(r'class="secret"[^>]*>([^<]+)<', web.get("/register/authenticator")).group(1)
    secrets["totp secret"] = secret.replace(" ", "")
    totp = pyotp.TOTP(secrets["totp secret"])
    secrets["otp 1"] = totp.now()
    web.post("/register/authenticator", {"otp": secrets["otp 1"]})
    recovery = RECOVERY.findall(web.get("/register/done"))
    secrets.update({f"recovery code {i}": value for i, value in enumerate(recovery)})

    login = {"member_number": number, "email": "lea@muster.example"}
    web.post("/login", {**login, "password": WRONG_PASSWORD}, expect=422)
    web.post("/login", {**login, "password": PASSWORD})
    wrong_otp = f"{(int(totp.now()) + 500000) % 1000000:06d}"
    web.post("/login/second-step", {"otp": wrong_otp}, expect=422)
    secrets["wrong otp"] = wrong_otp
    web.post("/login/second-step", {"otp": totp.at(clock.now().timestamp() + 30)})  # the next step: not reused
    secrets["otp 2"] = totp.at(clock.now().timestamp() + 30)
    web.http.cookies.clear()

    web.post("/login", {**login, "password": PASSWORD})
    web.post("/login/second-step/sms", {}, page="/login/second-step?use=sms")
    sms_dir = stack.var_dir / "sms"
    sms = poll(lambda: [p.read_text() for p in sms_dir.glob("*.txt")] if sms_dir.exists() else None, 60, "the SMS")
    secrets["sms code"] = re.search(r"\b(\d{6})\b", sms[-1].split("\n\n", 1)[1]).group(1)
    web.post("/login/second-step", {"code": secrets["sms code"]})
    portal = web.http.get(web.base + "/portal/", timeout=30, allow_redirects=False)
    assert portal.status_code == 200, "logged in with the SMS code"

    logs = {path.name: path.read_text(errors="replace") for path in stack.log_dir.glob("*.log")}
    assert sum(len(text.splitlines()) for text in logs.values()) > 50, "the processes wrote their logs"
    found = []
    for name, value in secrets.items():
        pattern = re.compile(rf"(?<![\w.]){re.escape(value)}(?!\w)", re.IGNORECASE)
        for log_name, text in logs.items():
            for line in text.splitlines():
                if pattern.search(line):
                    found.append(f"{name} in {log_name}: {line[:200]}")
    row.runs, row.lost = len(secrets) * len(logs), len(found)
    assert found == [], "\n".join(found)
