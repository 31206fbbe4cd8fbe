"""Helpers for the user-administration tests: members and logins made directly in the database (with a known
password and authenticator secret), and a real two-step login through the web pages."""

from __future__ import annotations

import html
import re
from datetime import date
from functools import cache

import pyotp
from sqlalchemy import select

from core import clock, db, secrets_box
from core.domain import rights, totp
from core.domain.states import LoginStatus
from core.models import Login, Member, OutboxMessage

PASSWORD = "Lärchenwald im Abendlicht"
ALL = rights.all_rights()


@cache
def password_hash() -> str:
    return secrets_box.hash_password(PASSWORD)


def make_member(number: str, name: str) -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number=number, uid="CHE-100.155.212", name=name, care_of="", street="Bahnhofstrasse 1",
                        po_box="", postcode="3000", town="Bern", language="de", email="", code_failures=0,
                        created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        return member.id


def make_login(member_id: int, name: str, email: str, rights_held: list[str], *, status: str = LoginStatus.ACTIVE,
               last_day: date | None = None, mobile: str = "+41791234567", language: str = "en") -> tuple[int, str]:
    """An enrolled login; returns its id and authenticator secret."""
    secret = totp.new_secret()
    now = clock.now()
    with db.unit_of_work() as s:
        login = Login(member_id=member_id, name=name, email=email, mobile=mobile, language=language,
                      password_hash=password_hash(), totp_secret=secrets_box.encrypt(secret), totp_last_step=0,
                      rights=list(rights_held), status=status, last_day=last_day, session_version=1,
                      created_at=now, activated_at=now if status != LoginStatus.PENDING else None)
        s.add(login)
        s.flush()
        return login.id, secret


def new_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def current_step() -> int:
    return int(clock.now().timestamp()) // totp.STEP_SECONDS


def next_otp(login_id: int, secret: str) -> str:
    """The code for the next step this login has not used yet (±1 step is accepted)."""
    with db.unit_of_work() as s:
        used = s.scalar(select(Login.totp_last_step).where(Login.id == login_id)) or 0
    step = max(current_step() - 1, used + 1)
    assert step <= current_step() + 1, "this login has used every code of the current window"
    return pyotp.TOTP(secret).generate_otp(step)


def log_in(app, member_number: str, email: str, login_id: int, secret: str):
    client = new_client(app)
    first = client.post("/login", data={"member_number": member_number, "email": email, "password": PASSWORD})
    assert first.status_code == 303, text(first)
    second = client.post("/login/second-step", data={"otp": next_otp(login_id, secret)})
    assert second.status_code == 303 and second.headers["Location"].endswith("/portal/"), text(second)
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def login_row(login_id: int) -> Login:
    with db.unit_of_work() as s:
        login = s.get(Login, login_id)
        s.expunge(login)
        return login


def outbox_rows(task: str) -> list[OutboxMessage]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.task == task).order_by(OutboxMessage.id)))
        for row in rows:
            s.expunge(row)
        return rows


def sms_code_sent_to(mobile: str) -> str:
    """The code in the newest text message queued for this number (the worker would hand it to the gateway)."""
    texts = [row.args["text"] for row in outbox_rows("sms.send") if row.args.get("to") == mobile]
    assert texts, f"no SMS queued for {mobile}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)
