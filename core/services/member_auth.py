"""Two-step login for member logins: member number, e-mail and password, then a TOTP (R8, R9, R11).

Every refusal of the first step looks and costs the same whether the account exists or not: an unknown account
is checked against a decoy argon2 hash and throttled under a key derived from what was typed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from core import audit, secrets_box
from core.domain import passwords as rules
from core.domain import rights, totp
from core.domain.deactivation import may_use
from core.models import AuthFailure, Login, Member
from core.services.codes import address_on_file

PASSWORD, SECOND_FACTOR = "password", "second_factor"


class Check(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"
    NOT_ACTIVE = "not_active"  # the right password for a login that may not be used (pending, deactivated)
    REUSED = "reused"  # R8: a one-time password that was accepted before


@dataclass(frozen=True)
class Step:
    result: Check
    login_id: int | None = None
    session_version: int = 0
    login: Login | None = None  # after the second step: the login the session is for


def account_key(login_id: int) -> str:
    return f"login:{login_id}"


def _typed_key(member_number: str, email: str) -> str:
    # 8 + 32 characters: fits AuthFailure.account, and an unknown account is throttled just like a real one.
    digest = hashlib.sha256(f"{member_number}\x1f{email}".encode()).hexdigest()[:32]
    return f"unknown:{digest}"


@cache
def _decoy_hash() -> str:
    return secrets_box.hash_password("decoy password that matches no login")


def _find(session: Session, member_number: str, email: str) -> Login | None:
    """The login these words name: an active one first, else the newest (its refusal is then explained)."""
    return session.scalar(
        select(Login).join(Member, Login.member_id == Member.id)
        .where(Member.member_number == member_number, func.lower(Login.email) == email)
        .order_by(case((Login.status == "active", 0), else_=1), Login.id.desc()).limit(1)
    )


def _failures(session: Session, factor: str, account: str, ip: str | None, since: datetime) -> int:
    keys = [AuthFailure.account == account] + ([AuthFailure.ip == ip] if ip else [])
    return max(session.scalar(select(func.count()).where(key, AuthFailure.factor == factor, AuthFailure.at >= since))
               or 0 for key in keys)


def check_password(session: Session, member_number: str, email: str, password: str, ip: str,
                   now: datetime) -> Step:
    """First step. Throttled per account and per IP before the password is looked at (R9)."""
    member_number, email, ip = member_number.strip(), email.strip().lower(), ip[:45]
    login = _find(session, member_number, email)
    account = account_key(login.id) if login else _typed_key(member_number, email)
    if rules.PASSWORD_LIMIT.reached(_failures(session, PASSWORD, account, ip, rules.PASSWORD_LIMIT.since(now))):
        return Step(Check.THROTTLED)
    stored = login.password_hash if login else _decoy_hash()
    if not secrets_box.password_matches(stored, password[: rules.MAX_LENGTH]) or login is None:
        session.add(AuthFailure(account=account, ip=ip, factor=PASSWORD, at=now))
        return Step(Check.WRONG)
    if not may_use(login.status, login.last_day, now):
        return Step(Check.NOT_ACTIVE)
    return Step(Check.OK, login.id, login.session_version)


def check_second_factor(session: Session, login_id: int, session_version: int, otp: str, ip: str,
                        now: datetime) -> Step:
    """Second step: a TOTP newer than the last one accepted (R8), at most 5 failures per 5 minutes (R9)."""
    login = session.get(Login, login_id)
    if login is None or login.session_version != session_version \
            or not may_use(login.status, login.last_day, now):
        return Step(Check.NOT_ACTIVE)
    account = account_key(login.id)
    since = rules.SECOND_FACTOR_LIMIT.since(now)
    if rules.SECOND_FACTOR_LIMIT.reached(_failures(session, SECOND_FACTOR, account, None, since)):
        return Step(Check.THROTTLED)
    secret = secrets_box.decrypt(login.totp_secret)
    step = totp.accepted_step(secret, otp, now, login.totp_last_step)
    # Claiming the step in one UPDATE means two tabs sending the same code cannot both get in.
    claimed = step is not None and session.scalar(
        update(Login).where(Login.id == login.id, Login.totp_last_step < step)
        .values(totp_last_step=step, last_login_at=now).returning(Login.id)
    ) is not None
    if not claimed:
        session.add(AuthFailure(account=account, ip=ip[:45], factor=SECOND_FACTOR, at=now))
        reused = totp.accepted_step(secret, otp, now, -1) is not None
        return Step(Check.REUSED if reused else Check.WRONG)
    session.refresh(login)
    audit.record(session, audit.Entry(account, "login.signed_in", login.member_id, account, {"ip": ip[:45]}), now)
    return Step(Check.OK, login.id, login.session_version, login)


def pending_login_usable(session: Session, login_id: int, session_version: int, now: datetime) -> bool:
    """Between the steps: the login may have been deactivated or had its sessions ended meanwhile."""
    login = session.get(Login, login_id)
    return login is not None and login.session_version == session_version \
        and may_use(login.status, login.last_day, now)


@dataclass(frozen=True)
class StartPage:
    login_name: str
    email: str
    rights: list[str]
    member_name: str
    member_number: str
    address: list[str]
    active_administrators: int
    is_administrator: bool


def start_page(session: Session, login_id: int, now: datetime) -> StartPage | None:
    """What the portal's start page shows; None when the login no longer exists."""
    login = session.get(Login, login_id)
    if login is None:
        return None
    member = login.member
    others = session.scalars(select(Login).where(Login.member_id == member.id, Login.status == "active")).all()
    admins = sum(1 for o in others if rights.is_administrator(o.rights) and may_use(o.status, o.last_day, now))
    return StartPage(login.name, login.email, list(login.rights), member.name, member.member_number,
                     address_on_file(member).lines(), admins, rights.is_administrator(login.rights))
