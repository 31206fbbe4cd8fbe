"""A login's own profile: its details, a new password, new recovery codes and a new authenticator app (R8).

Each change needs the current password; a new authenticator also needs a second factor (the current app, an SMS
or a recovery code: the phone may be lost).
A new password or authenticator ends every other session of the login (the session version goes up): the caller
starts a fresh session for the browser that made the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from core import audit, config, secrets_box
from core.domain import passwords as password_rules
from core.domain import totp
from core.domain.deactivation import may_use
from core.logins import member_auth, recovery_codes
from core.logins.member_auth import Check
from core.models import Login, Trustee
from core.translatable import N_

REAUTH_PURPOSE = "reauth"  # SMS codes that confirm a profile change, apart from those for logging in

WRONG_PASSWORD = N_("Your current password is not right.")
PASSWORD_THROTTLED = N_("Too many wrong passwords. Wait 5 minutes, then try again.")
GONE = N_("This login can no longer be used. Log in again.")


@dataclass(frozen=True)
class Profile:
    login_id: int
    name: str
    email: str
    mobile_ending: str
    language: str
    member_name: str
    member_number: str
    status: str
    last_day: date | None
    recovery_codes_left: int
    changing_authenticator: bool


@dataclass(frozen=True)
class Refusal:
    """Why a change was not made: an English source string for the page, shown next to `field`."""

    field: str
    message: str


def _login(session: Session, login_id: int, now: datetime) -> Login | None:
    login = session.get(Login, login_id)
    return login if login is not None and may_use(login.status, login.last_day, now) else None


def owner(session: Session, login: Login) -> tuple[str, str]:
    """The company a login belongs to, by name and number: its member, or for a trustee's login (R13) the trustee
    company and its UID."""
    if login.member is not None:
        return login.member.name, login.member.member_number
    trustee = session.get(Trustee, login.trustee_id)
    return (trustee.name, trustee.uid) if trustee is not None else ("", "")


def profile(session: Session, login_id: int, now: datetime) -> Profile | None:
    login = _login(session, login_id, now)
    if login is None:
        return None
    company, number = owner(session, login)
    return Profile(login.id, login.name, login.email, login.mobile[-2:], login.language, company, number,
                   login.status, login.last_day,
                   recovery_codes.unused(session, login.id), bool(login.pending_totp_secret))


def _confirmed(session: Session, login_id: int, password: str, ip: str, now: datetime) -> Login | Refusal:
    """The login, once its current password is confirmed; else why not. Every profile change starts here."""
    login = _login(session, login_id, now)
    if login is None:
        return Refusal("current_password", GONE)
    result = member_auth.confirm_password(session, login, password, ip, now)
    if result == Check.THROTTLED:
        return Refusal("current_password", PASSWORD_THROTTLED)
    if result != Check.OK:
        return Refusal("current_password", WRONG_PASSWORD)
    return login


def _end_other_sessions(login: Login) -> int:
    login.session_version += 1
    return login.session_version


def change_password(session: Session, login_id: int, current: str, new: str, ip: str,
                    now: datetime) -> Refusal | int:
    """The new session version on success (every session of the login ends), else why not."""
    login = _confirmed(session, login_id, current, ip, now)
    if isinstance(login, Refusal):
        return login
    problem = password_rules.problem(new, owner(session, login)[1])
    if problem:
        return Refusal("new_password", problem)
    login.password_hash = secrets_box.hash_password(new)
    version = _end_other_sessions(login)
    account = member_auth.account_key(login.id)
    audit.record(session, audit.Entry(account, "login.password_changed", login.member_id, account,
                                      {"ip": ip[:45]}), now)
    return version


def new_recovery_codes(session: Session, login_id: int, current: str, ip: str, now: datetime) -> Refusal | list[str]:
    """A new set of eight codes, to be shown once; the old set stops working."""
    login = _confirmed(session, login_id, current, ip, now)
    if isinstance(login, Refusal):
        return login
    return recovery_codes.issue(session, login, member_auth.account_key(login.id), now)


def send_confirmation_sms(session: Session, login_id: int, now: datetime) -> Check:
    """A code to confirm a new authenticator with, when the old app is not at hand."""
    login = _login(session, login_id, now)
    if login is None:
        return Check.NOT_ACTIVE
    return member_auth.send_sms(session, login, REAUTH_PURPOSE, now)


SECOND_FACTOR_MESSAGES = {
    Check.WRONG: N_("This code is not right. Enter the code your app shows now, the code from the SMS, or an unused "
                    "recovery code."),
    Check.REUSED: N_("This code has been used already. Wait for a new code in your app, send a new SMS, or use "
                     "another recovery code."),
    Check.EXPIRED: N_("This SMS code has expired: it works for 5 minutes. Send a new code."),
    Check.VOID: N_("This SMS code no longer works after too many wrong tries. Send a new code."),
    Check.NO_CODE: N_("No SMS code was sent. Send a code first, or use your authenticator app."),
    Check.THROTTLED: N_("Too many wrong codes. Wait 5 minutes, then try again."),
}


def start_authenticator_change(session: Session, login_id: int, current: str, method: str, code: str, ip: str,
                               now: datetime) -> Refusal | None:
    """With the current password and second factor, a new TOTP secret waits for its first code."""
    login = _confirmed(session, login_id, current, ip, now)
    if isinstance(login, Refusal):
        return login
    result = member_auth.verify_second_factor(session, login, method, code, ip, now, sms_purpose=REAUTH_PURPOSE)
    if result != Check.OK:
        return Refusal("code", SECOND_FACTOR_MESSAGES.get(result, SECOND_FACTOR_MESSAGES[Check.WRONG]))
    login.pending_totp_secret = secrets_box.encrypt(totp.new_secret())
    return None


@dataclass(frozen=True)
class NewAuthenticator:
    """What the set-up page shows: the secret exists in the clear only for this page."""

    secret: str
    uri: str


def new_authenticator(session: Session, login_id: int, now: datetime) -> NewAuthenticator | None:
    login = _login(session, login_id, now)
    if login is None or not login.pending_totp_secret:
        return None
    secret = secrets_box.decrypt(login.pending_totp_secret)
    issuer = f"{config.get().fund_name} connect"
    uri = totp.provisioning_uri(secret, f"{login.email} ({owner(session, login)[1]})", issuer)
    return NewAuthenticator(secret, uri)


def confirm_authenticator(session: Session, login_id: int, otp: str, ip: str, now: datetime) -> Refusal | int:
    """The first code from the new app replaces the old app; every session ends (new session version)."""
    login = _login(session, login_id, now)
    if login is None or not login.pending_totp_secret:
        return Refusal("otp", N_("Start setting up the new app again."))
    if member_auth.second_factor_throttled(session, login, now):
        return Refusal("otp", SECOND_FACTOR_MESSAGES[Check.THROTTLED])
    secret = secrets_box.decrypt(login.pending_totp_secret)
    step = totp.accepted_step(secret, otp, now, -1)
    if step is None:
        member_auth.count_failure(session, login, member_auth.TOTP, Check.WRONG, ip, now)
        return Refusal("otp", N_("This code is not right. Check the time on your phone and enter the code the new "
                                 "app shows now."))
    login.totp_secret, login.pending_totp_secret, login.totp_last_step = login.pending_totp_secret, "", step
    version = _end_other_sessions(login)
    account = member_auth.account_key(login.id)
    audit.record(session, audit.Entry(account, "login.authenticator_changed", login.member_id, account,
                                      {"ip": ip[:45]}), now)
    return version


def cancel_authenticator_change(session: Session, login_id: int) -> None:
    login = session.get(Login, login_id)
    if login is not None:
        login.pending_totp_secret = ""
