"""Two-step login by SMS end to end: chromium asks for a code, the real worker sends it through the file
gateway under var/sms/, the code from that file logs in, and the queue keeps no copy of it (R7, R8)."""

from __future__ import annotations

import re

from sqlalchemy import select

from core import clock, db, secrets_box, sms
from core.domain import rights, totp
from core.domain.states import LoginStatus
from core.models import Login, Member, OutboxMessage
from tests.e2e.conftest import poll

NUMBER, EMAIL, MOBILE = "300301", "sara@sms-login.example", "+41791234568"
PASSWORD = "Fjord-Lantern-Pebble-77"


def _active_login() -> None:
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number=NUMBER, uid="CHE-100.155.212", name="SMS Test AG", care_of="",
                        street="Seeweg 3", po_box="", postcode="3000", town="Bern", language="de", email="",
                        code_failures=0, created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        s.add(Login(member_id=member.id, name="Sara Test", email=EMAIL, mobile=MOBILE, language="en",
                    password_hash=secrets_box.hash_password(PASSWORD),
                    totp_secret=secrets_box.encrypt(totp.new_secret()), totp_last_step=0,
                    rights=rights.all_rights(), status=LoginStatus.ACTIVE, session_version=1, created_at=now,
                    activated_at=now))


def _delivered() -> str | None:
    with db.unit_of_work() as s:
        key = s.scalar(select(OutboxMessage.key).where(OutboxMessage.task == "sms.send"))
    path = sms.file_for(key) if key else None
    return path.read_text(encoding="utf-8") if path and path.exists() else None


def _queue_forgot_the_text() -> bool:
    with db.unit_of_work() as s:
        return s.scalar(select(OutboxMessage.args).where(OutboxMessage.task == "sms.send")) == {"sent": True}


def test_r8_login_with_the_code_the_worker_sent_by_sms(pg, var_dir, web_server, worker_process, browser):
    _active_login()
    # Outbox ids, and so SMS keys, start again after each truncation: earlier tests' messages must not be read.
    for old in sms.file_for("x").parent.glob("*.txt"):
        old.unlink()
    page = browser.new_page()
    page.goto(f"{web_server}/login?lang=en")
    page.fill("#member_number", NUMBER)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/login/second-step"))
    page.click("text=Send me a code by SMS")
    page.wait_for_selector("#code")
    assert "ending in 68" in page.inner_text("main")

    message = poll(_delivered, 60, "the worker to send the SMS")
    assert message.startswith(f"To: {MOBILE}\n\n")
    code = re.search(r"\b(\d{6})\b", message).group(1)
    page.fill("#code", code)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/"))
    assert "Sara Test" in page.inner_text("body")
    poll(_queue_forgot_the_text, 30, "the outbox row to lose the text with the code")
    page.close()
    logs = (var_dir / "worker.log").read_text(errors="replace") + (var_dir / "web.log").read_text(errors="replace")
    sms_lines = [line for line in logs.splitlines() if "sms" in line.lower()]
    assert sms_lines and not [line for line in sms_lines if code in line]  # R18: the task is logged, its code never
    assert message.split("\n\n", 1)[1] not in logs
