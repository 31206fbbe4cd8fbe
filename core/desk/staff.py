"""The fund's staff accounts and their two-step login: password (argon2) then TOTP (R8), throttled (R9).

The TOTP secret is shown once, to the operator who creates the account (`backoffice staff create`); afterwards
it exists only encrypted in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import attempt_locks, audit, config, secrets_box
from core.domain import staff as rules
from core.domain import totp
from core.models import AuthFailure, StaffUser

PASSWORD, SECOND_FACTOR = "password", "second_factor"


class StaffError(Exception):
    """A staff account cannot be created or changed as asked; the message says why, in plain words."""


@dataclass(frozen=True)
class Enrolment:
    """What the operator hands to the new staff member: shown once, never stored in the clear."""

    staff_id: int
    username: str
    secret: str
    uri: str


def account_key(staff_id: int) -> str:
    return f"staff:{staff_id}"


def find(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))


def create(session: Session, *, username: str, name: str, email: str, role: str, password: str, now: datetime,
           actor: str) -> Enrolment:
    username = username.strip().lower()
    problem = rules.username_problem(username) or rules.password_problem(password, username)
    if problem:
        raise StaffError(problem)
    if role not in rules.ROLES:
        raise StaffError(f"the role must be one of {', '.join(rules.ROLES)}")
    if not name.strip():
        raise StaffError("a name is needed")
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise StaffError(f"the e-mail address is not valid: {error}") from error
    if find(session, username) is not None:
        raise StaffError(f"a staff login named {username} exists already")
    secret = totp.new_secret()
    staff = StaffUser(username=username, name=name.strip(), email=email, role=role,
                      password_hash=secrets_box.hash_password(password), totp_secret=secrets_box.encrypt(secret),
                      totp_last_step=0, active=True, session_version=1, created_at=now)
    session.add(staff)
    session.flush()
    audit.record(session, audit.Entry(actor, "staff.created", None, account_key(staff.id),
                                      {"username": username, "role": role}), now)
    issuer = f"{config.get().fund_name} back office"
    return Enrolment(staff.id, username, secret, totp.provisioning_uri(secret, username, issuer))


def list_all(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def deactivate(session: Session, username: str, now: datetime, actor: str) -> bool:
    """Refuse the account from now on and end its sessions. False when it was inactive already."""
    staff = _existing(session, username)
    if not staff.active:
        return False
    staff.active = False
    staff.session_version += 1  # every open session of this account fails its next request
    audit.record(session, audit.Entry(actor, "staff.deactivated", None, account_key(staff.id),
                                      {"username": staff.username}), now)
    return True


def _existing(session: Session, username: str) -> StaffUser:
    staff = find(session, username)
    if staff is None:
        raise StaffError(f"no staff login named {username.strip().lower()}")
    return staff


def reset(session: Session, username: str, password: str, now: datetime, actor: str) -> Enrolment:
    """A forgotten password or a lost phone: a new password and a new authenticator secret, shown once to the
    operator as at creation. Every open session ends; the account is active again if it was not."""
    staff = _existing(session, username)
    problem = rules.password_problem(password, staff.username)
    if problem:
        raise StaffError(problem)
    secret = totp.new_secret()
    staff.password_hash = secrets_box.hash_password(password)
    staff.totp_secret, staff.totp_last_step = secrets_box.encrypt(secret), 0
    staff.active = True
    staff.session_version += 1
    audit.record(session, audit.Entry(actor, "staff.reset", None, account_key(staff.id),
                                      {"username": staff.username}), now)
    issuer = f"{config.get().fund_name} back office"
    return Enrolment(staff.id, staff.username, secret, totp.provisioning_uri(secret, staff.username, issuer))


def log_out(session: Session, staff_id: int, session_version: int) -> None:
    """R22: as for member logins (member_auth.log_out), a copied cookie is useless once its session is logged out."""
    session.execute(update(StaffUser).where(StaffUser.id == staff_id, StaffUser.session_version == session_version)
                    .values(session_version=StaffUser.session_version + 1))


def change_role(session: Session, username: str, role: str, now: datetime, actor: str) -> bool:
    """False when the account has that role already. Open sessions end, so the new role applies at once."""
    if role not in rules.ROLES:
        raise StaffError(f"the role must be one of {', '.join(rules.ROLES)}")
    staff = _existing(session, username)
    if staff.role == role:
        return False
    before, staff.role = staff.role, role
    staff.session_version += 1
    audit.record(session, audit.Entry(actor, "staff.role_changed", None, account_key(staff.id),
                                      {"username": staff.username, "from": before, "to": role}), now)
    return True


class Check(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginStep:
    result: Check
    staff_id: int | None = None
    session_version: int = 0


@cache
def _decoy_hash() -> str:
    # Verifying against a decoy costs as much as a real check, so timing does not tell which usernames exist.
    return secrets_box.hash_password("decoy password that matches nothing")


def _failures(session: Session, factor: str, since: datetime, account: str | None, ip: str | None) -> int:
    keys = []
    if account:
        keys.append(AuthFailure.account == account)
    if ip:
        keys.append(AuthFailure.ip == ip)
    if not keys:
        return 0
    counts = [
        session.scalar(select(func.count()).where(key, AuthFailure.factor == factor, AuthFailure.at >= since)) or 0
        for key in keys
    ]
    return max(counts)


def _fail(session: Session, staff: StaffUser | None, factor: str, ip: str, now: datetime) -> LoginStep:
    session.add(AuthFailure(account=account_key(staff.id) if staff else "", ip=ip[:45], factor=factor, at=now))
    if staff is not None:  # unknown names are not audited: people type passwords into the username field
        audit.record(session, audit.Entry("anonymous", "staff.login_failed", None, account_key(staff.id),
                                          {"factor": factor, "ip": ip[:45]}), now)
    return LoginStep(Check.WRONG)


def check_password(session: Session, username: str, password: str, ip: str, now: datetime) -> LoginStep:
    """First step. Throttled per account and per IP before the password is even looked at (R9)."""
    staff = find(session, username)
    if staff is not None and not staff.active:
        staff = None
    account = account_key(staff.id) if staff else None
    attempt_locks.take_turns(session, f"staff-password:{account or username.strip().lower()}")  # R9
    if rules.PASSWORD_LIMIT.reached(_failures(session, PASSWORD, rules.PASSWORD_LIMIT.since(now), account, ip)):
        return LoginStep(Check.THROTTLED)
    stored = staff.password_hash if staff else _decoy_hash()
    if not secrets_box.password_matches(stored, password[: rules.MAX_PASSWORD_LENGTH]) or staff is None:
        return _fail(session, staff, PASSWORD, ip, now)
    staff.password_hash = secrets_box.rehashed(stored, password[: rules.MAX_PASSWORD_LENGTH]) or staff.password_hash
    return LoginStep(Check.OK, staff.id, staff.session_version)


def check_second_factor(session: Session, staff_id: int, session_version: int, otp: str, ip: str,
                        now: datetime) -> LoginStep:
    """Second step: a TOTP newer than the last one accepted (R8), at most 5 failures per 5 minutes (R9)."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active or staff.session_version != session_version:
        return LoginStep(Check.WRONG)
    attempt_locks.take_turns(session, f"staff-second-factor:{staff.id}")  # R9
    since = rules.SECOND_FACTOR_LIMIT.since(now)
    if rules.SECOND_FACTOR_LIMIT.reached(_failures(session, SECOND_FACTOR, since, account_key(staff.id), None)):
        return LoginStep(Check.THROTTLED)
    step = totp.accepted_step(secrets_box.decrypt(staff.totp_secret), otp, now, staff.totp_last_step)
    # Claiming the step in one UPDATE means two tabs sending the same code cannot both get in.
    claimed = step is not None and session.scalar(
        update(StaffUser).where(StaffUser.id == staff.id, StaffUser.totp_last_step < step)
        .values(totp_last_step=step).returning(StaffUser.id)
    ) is not None
    if not claimed:
        return _fail(session, staff, SECOND_FACTOR, ip, now)
    audit.record(session, audit.Entry(f"staff:{staff.username}", "staff.logged_in", None, account_key(staff.id),
                                      {"ip": ip[:45]}), now)
    return LoginStep(Check.OK, staff.id, staff.session_version)


def load_active(session: Session, staff_id: int, session_version: int) -> StaffUser | None:
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active or staff.session_version != session_version:
        return None
    return staff

