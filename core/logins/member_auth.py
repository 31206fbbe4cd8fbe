"""Two-step login for member logins: member number, e-mail and password, then a second factor: a TOTP from the
authenticator app, a code sent by SMS, or a recovery code (R7, R8, R9, R11).

Every refusal of the first step looks and costs the same whether the account exists or not: an unknown account
is checked against a decoy argon2 hash and throttled under a key derived from what was typed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from core import attempt_locks, audit, secrets_box
from core.codes.codes import address_on_file
from core.domain import identifiers, rights, totp
from core.domain import passwords as rules
from core.domain.deactivation import may_use
from core.domain.second_factor import SmsCheck
from core.domain.states import LoginStatus, MandateStatus
from core.logins import recovery_codes, sms_codes
from core.models import AuthFailure, Login, Mandate, Member, Trustee
from core.trustees import mandates

PASSWORD, SECOND_FACTOR = "password", "second_factor"
PASSWORD_DEVICE = "password_device"  # a failure in a browser the login has used before (web.devices)
TOTP, SMS, RECOVERY = "totp", "sms", "recovery_code"  # the ways through the second step
SMS_PURPOSE = "login"


class Check(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"
    NOT_ACTIVE = "not_active"  # the right password for a login that may not be used (pending, deactivated)
    REUSED = "reused"  # R8: a one-time password, SMS code or recovery code that was accepted before
    EXPIRED = "expired"  # an SMS code older than 5 minutes
    VOID = "void"  # an SMS code after 5 wrong entries: a new one must be sent
    NO_CODE = "no_code"  # an SMS code typed although none was sent
    LIMIT = "limit"  # 5 SMS codes sent in the last hour


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
    """The login these words name: an active one first, else the newest (its refusal is then explained). A trustee
    login (R13) is named by the number of a member it holds a mandate for, or by its company's UID."""
    owners = [Login.id.in_(select(Login.id).join(Member, Login.member_id == Member.id)
                           .where(Member.member_number == member_number)),
              Login.id.in_(select(Mandate.login_id).join(Member, Mandate.member_id == Member.id)
                           .where(Member.member_number == member_number, Mandate.status == MandateStatus.ACTIVE))]
    uid = _as_uid(member_number)
    if uid is not None:
        owners.append(Login.id.in_(select(Login.id).join(Trustee, Login.trustee_id == Trustee.id)
                                   .where(Trustee.uid == uid)))
    return session.scalar(
        select(Login).where(or_(*owners), func.lower(Login.email) == email)
        .order_by(case((Login.status == LoginStatus.ACTIVE, 0), else_=1), Login.member_id.is_(None),
                  Login.id.desc()).limit(1)
    )


def _as_uid(text: str) -> str | None:
    try:
        return identifiers.normalise_uid(text)
    except identifiers.InvalidIdentifier:
        return None


def _failures(session: Session, factor: str, account: str, ip: str | None, since: datetime) -> int:
    keys = [AuthFailure.account == account] + ([AuthFailure.ip == ip] if ip else [])
    return max(session.scalar(select(func.count()).where(key, AuthFailure.factor == factor, AuthFailure.at >= since))
               or 0 for key in keys)


def check_password(session: Session, member_number: str, email: str, password: str, ip: str,
                   now: datetime, known_login: int | None = None) -> Step:
    """First step. Throttled before the password is looked at (R9): per login and per address; but a browser that
    has completed a two-step login for this login before (`known_login`, its device cookie) counts only the
    failures made in such browsers, so guesses from elsewhere cannot lock the owner out."""
    member_number, email, ip = member_number.strip(), email.strip().lower(), ip[:45]
    login = _find(session, member_number, email)
    account = account_key(login.id) if login else _typed_key(member_number, email)
    attempt_locks.take_turns(session, f"password:{account}")  # R9: parallel guesses are counted one by one
    device = login is not None and known_login == login.id
    if _password_throttled(session, account, ip, device, now):
        return Step(Check.THROTTLED)
    stored = login.password_hash if login else _decoy_hash()
    if not secrets_box.password_matches(stored, password[: rules.MAX_LENGTH]) or login is None:
        session.add(AuthFailure(account=account, ip=ip, factor=PASSWORD_DEVICE if device else PASSWORD, at=now))
        return Step(Check.WRONG)
    if not may_use(login.status, login.last_day, now):
        return Step(Check.NOT_ACTIVE)
    login.password_hash = secrets_box.rehashed(stored, password[: rules.MAX_LENGTH]) or login.password_hash
    return Step(Check.OK, login.id, login.session_version)


def _password_throttled(session: Session, account: str, ip: str, device: bool, now: datetime) -> bool:
    since = rules.PASSWORD_LIMIT.since(now)

    def failures(*where: Any) -> int:
        return session.scalar(select(func.count()).where(AuthFailure.at >= since, *where)) or 0

    if device:
        return rules.PASSWORD_LIMIT.reached(failures(AuthFailure.account == account,
                                                     AuthFailure.factor == PASSWORD_DEVICE))
    return rules.PASSWORD_LIMIT.reached(max(failures(AuthFailure.account == account, AuthFailure.factor == PASSWORD),
                                            failures(AuthFailure.ip == ip, AuthFailure.factor == PASSWORD)))


def log_out(session: Session, login_id: int, session_version: int) -> None:
    """R22: logging out ends the session on the server. The login's session version moves on, so a copy of the
    cookie taken before is refused; every other open session of this login ends with it (log out everywhere)."""
    session.execute(update(Login).where(Login.id == login_id, Login.session_version == session_version)
                    .values(session_version=Login.session_version + 1))


def _usable(session: Session, login_id: int, session_version: int, now: datetime) -> Login | None:
    """The login between the steps, unless it was deactivated or had its sessions ended meanwhile."""
    login = session.get(Login, login_id)
    if login is None or login.session_version != session_version or not may_use(login.status, login.last_day, now):
        return None
    return login


def second_factor_throttled(session: Session, login: Login, now: datetime) -> bool:
    """R9: at most 5 failed second factors per 5 minutes, whichever way (app, SMS, recovery code) they came."""
    since = rules.SECOND_FACTOR_LIMIT.since(now)
    return rules.SECOND_FACTOR_LIMIT.reached(_failures(session, SECOND_FACTOR, account_key(login.id), None, since))


def count_failure(session: Session, login: Login, method: str, result: Check, ip: str, now: datetime) -> None:
    """Count the failure for R9 (unless already throttled) and audit it, without the code (R18)."""
    account = account_key(login.id)
    if result != Check.THROTTLED:
        session.add(AuthFailure(account=account, ip=ip[:45], factor=SECOND_FACTOR, at=now))
    audit.record(session, audit.Entry(account, "login.second_factor_failed", login.member_id, account,
                                      {"method": method, "reason": str(result), "ip": ip[:45]}), now)


def _signed_in(session: Session, login: Login, method: str, ip: str, now: datetime) -> Step:
    login.last_login_at = now
    account = account_key(login.id)
    audit.record(session, audit.Entry(account, "login.signed_in", login.member_id, account,
                                      {"ip": ip[:45], "method": method}), now)
    return Step(Check.OK, login.id, login.session_version, login)


def _totp(session: Session, login: Login, otp: str, now: datetime) -> Check:
    secret = secrets_box.decrypt(login.totp_secret)
    step = totp.accepted_step(secret, otp, now, login.totp_last_step)
    # Claiming the step in one UPDATE means two tabs sending the same code cannot both get in.
    claimed = step is not None and session.scalar(
        update(Login).where(Login.id == login.id, Login.totp_last_step < step)
        .values(totp_last_step=step).returning(Login.id)
    ) is not None
    if claimed:
        session.refresh(login)
        return Check.OK
    return Check.REUSED if totp.accepted_step(secret, otp, now, -1) is not None else Check.WRONG


_SMS_RESULTS = {SmsCheck.OK: Check.OK, SmsCheck.WRONG: Check.WRONG, SmsCheck.EXPIRED: Check.EXPIRED,
                SmsCheck.USED: Check.REUSED, SmsCheck.VOID: Check.VOID, SmsCheck.NONE: Check.NO_CODE}
_RECOVERY_RESULTS = {recovery_codes.RecoveryCheck.OK: Check.OK, recovery_codes.RecoveryCheck.WRONG: Check.WRONG,
                     recovery_codes.RecoveryCheck.USED: Check.REUSED}


def verify_second_factor(session: Session, login: Login, method: str, code: str, ip: str, now: datetime,
                         sms_purpose: str = SMS_PURPOSE) -> Check:
    """One second factor of this login, by the app (TOTP), SMS or a recovery code. Throttled per login (R9);
    a failure is counted and audited without the code (R18); a code that passes is used up (R8)."""
    attempt_locks.take_turns(session, f"second-factor:{account_key(login.id)}")
    if second_factor_throttled(session, login, now):
        result = Check.THROTTLED
    elif method == TOTP:
        result = _totp(session, login, code, now)
    elif method == SMS:
        result = _SMS_RESULTS[sms_codes.check(session, purpose=sms_purpose, subject=account_key(login.id),
                                              code=code, now=now)]
    elif method == RECOVERY:
        result = _RECOVERY_RESULTS[recovery_codes.use(session, login.id, code, now)]
        if result == Check.OK:
            account = account_key(login.id)
            audit.record(session, audit.Entry(account, "login.recovery_code_used", login.member_id, account,
                                              {"left": recovery_codes.unused(session, login.id)}), now)
    else:
        raise ValueError(f"unknown second factor {method!r}")
    if result != Check.OK:
        count_failure(session, login, method, result, ip, now)
    return result


def _second_step(session: Session, login_id: int, session_version: int, method: str, code: str, ip: str,
                 now: datetime) -> Step:
    login = _usable(session, login_id, session_version, now)
    if login is None:
        return Step(Check.NOT_ACTIVE)
    result = verify_second_factor(session, login, method, code, ip, now)
    if result != Check.OK:
        return Step(result, login.id, login.session_version)
    return _signed_in(session, login, method, ip, now)


def check_second_factor(session: Session, login_id: int, session_version: int, otp: str, ip: str,
                        now: datetime) -> Step:
    """Second step by the authenticator app: a TOTP newer than the last one accepted (R8), throttled (R9)."""
    return _second_step(session, login_id, session_version, TOTP, otp, ip, now)


def check_sms_factor(session: Session, login_id: int, session_version: int, code: str, ip: str,
                     now: datetime) -> Step:
    """Second step by SMS: the latest code sent for this login, within 5 minutes, once (R8), throttled (R9)."""
    return _second_step(session, login_id, session_version, SMS, code, ip, now)


def check_recovery_code(session: Session, login_id: int, session_version: int, code: str, ip: str,
                        now: datetime) -> Step:
    """Second step by a recovery code: each works once (R8), throttled like the other factors (R9)."""
    return _second_step(session, login_id, session_version, RECOVERY, code, ip, now)


def send_login_sms(session: Session, login_id: int, session_version: int, now: datetime) -> Check:
    """Send a one-time code to the login's mobile number (R7, R8); LIMIT after 5 in an hour."""
    login = _usable(session, login_id, session_version, now)
    if login is None:
        return Check.NOT_ACTIVE
    return send_sms(session, login, SMS_PURPOSE, now)


def send_sms(session: Session, login: Login, purpose: str, now: datetime) -> Check:
    sent = sms_codes.send_code(session, purpose=purpose, subject=account_key(login.id), mobile=login.mobile,
                               lang=login.language, now=now)
    return Check.OK if sent else Check.LIMIT


def confirm_password(session: Session, login: Login, password: str, ip: str, now: datetime) -> Check:
    """The login's current password again (profile changes), throttled like the first step of a login (R9)."""
    account = account_key(login.id)
    if rules.PASSWORD_LIMIT.reached(_failures(session, PASSWORD, account, None, rules.PASSWORD_LIMIT.since(now))):
        return Check.THROTTLED
    if secrets_box.password_matches(login.password_hash, password[: rules.MAX_LENGTH]):
        return Check.OK
    session.add(AuthFailure(account=account, ip=ip[:45], factor=PASSWORD, at=now))
    return Check.WRONG


def mobile_ending(session: Session, login_id: int) -> str:
    """The last digits of the login's mobile number: enough to recognise it, not enough to read it off."""
    login = session.get(Login, login_id)
    return login.mobile[-2:] if login is not None and login.mobile else ""


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
    trustee_name: str = ""  # set when a trustee login acts for the member (R13)


def start_page(session: Session, login_id: int, now: datetime, acting_member_id: int | None = None
               ) -> StartPage | None:
    """What the portal's start page shows; None when the login no longer exists or, for a trustee login, when it
    may not act for that member now."""
    login = session.get(Login, login_id)
    if login is None:
        return None
    member, held, trustee_name = login.member, list(login.rights), ""
    if login.trustee_id is not None:
        held = [r for r in rights.CATALOGUE
                if r in mandates.active_rights(session, login.id, acting_member_id or 0, now)]
        member = session.get(Member, acting_member_id) if held else None
        trustee = session.get(Trustee, login.trustee_id)
        trustee_name = trustee.name if trustee is not None else ""
    if member is None:
        return None
    others = session.scalars(select(Login).where(Login.member_id == member.id,
                                                 Login.status == LoginStatus.ACTIVE)).all()
    admins = sum(1 for o in others if rights.is_administrator(o.rights) and may_use(o.status, o.last_day, now))
    own_admin = login.trustee_id is None and rights.is_administrator(held)
    return StartPage(login.name, login.email, held, member.name, member.member_number,
                     address_on_file(member).lines(), admins, own_admin, trustee_name)
