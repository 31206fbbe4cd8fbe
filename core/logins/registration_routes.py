"""What a registration code registers (R15, R16): the person's details for a prepared login or a trustee's login,
a trustee person's existing login that the member is added to, and the mandate a trustee login gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import secrets_box
from core.domain import passwords, totp
from core.domain import rights as catalogue
from core.domain.deactivation import may_use
from core.domain.mandates import BY_FUND_CODE
from core.domain.states import LoginStatus
from core.models import AuthFailure, Login, RegistrationCode
from core.refusal import Refused
from core.translatable import N_
from core.trustees import mandates

ADMINISTRATOR = "administrator"  # a member's first administrator (R4, R20, Situation 2)
TRUSTEE = "trustee"  # a login of the trustee company, acting for the member through a mandate (R15)
PREPARED = "prepared"  # the login the fund prepared on an official letter (R16)

TRUSTEE_EMAIL_TAKEN = N_("Your company already has a login with this e-mail address that no longer works. Register "
                         "with the e-mail address of the person who will hold the new login.")
EXISTING_PASSWORD = N_("Your company already has a login with this e-mail address. To add this member to it, enter "
                       "that login's password.")
EXISTING_THROTTLED = N_("Too many attempts. Wait 5 minutes, then try again.")
START_AGAIN = N_("Your registration can no longer continue. Start again with the code from your letter.")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    mobile: str  # E.164 (R7)
    password: str
    language: str


class RegistrationError(Refused):
    """The step cannot go ahead: shown next to `field`, or with no field when the registration must start again."""


def route_of(code: RegistrationCode) -> str:
    if code.login_id is not None:
        return PREPARED
    if code.trustee_id is not None:
        return TRUSTEE
    return ADMINISTRATOR


def route_of_code(session: Session, code_id: int) -> str:
    code = session.get(RegistrationCode, code_id)
    return ADMINISTRATOR if code is None else route_of(code)


def pending_login(session: Session, member_id: int, code_id: int, login_id: int | None) -> Login | None:
    """The pending login this registration may fill in: the one it made, or the one the fund prepared (R16)."""
    if login_id is None:
        return None
    login = session.get(Login, login_id)
    code = session.get(RegistrationCode, code_id)
    if login is None or code is None or login.status != LoginStatus.PENDING or code.member_id != member_id:
        return None
    if code.login_id is not None:
        return login if login.id == code.login_id and login.member_id == member_id else None
    if code.trustee_id is not None:
        return login if login.trustee_id == code.trustee_id and login.registration_code_id == code_id else None
    return login if login.member_id == member_id and login.registration_code_id == code_id else None


@dataclass(frozen=True)
class Preset:
    """What the details page shows again: given earlier, or set by staff for a prepared login (R16)."""

    name: str
    email: str
    mobile: str
    language: str


def preset(session: Session, member_id: int, code_id: int, login_id: int | None) -> Preset | None:
    login = pending_login(session, member_id, code_id, login_id)
    return None if login is None else Preset(login.name, login.email, login.mobile, login.language)


def trustee_login_with_email(session: Session, trustee_id: int, email: str) -> Login | None:
    """A login of this trustee company under this e-mail address that is in use or ended (pending ones are
    registrations still under way, and may be filled in again)."""
    return session.scalar(select(Login).where(Login.trustee_id == trustee_id, Login.status != LoginStatus.PENDING,
                                              func.lower(Login.email) == email.strip().lower()).limit(1))


def join_existing(session: Session, login: Login, password: str, now: datetime) -> str | None:
    """R13: the person already holds a login at the trustee company; its password (throttled like a sign-in, R9)
    lets the code add this member to that login instead of making a second one. Returns a problem, or None."""
    account = f"login:{login.id}"
    failures = session.scalar(select(func.count()).where(
        AuthFailure.account == account, AuthFailure.factor == "password",
        AuthFailure.at >= passwords.PASSWORD_LIMIT.since(now))) or 0
    if passwords.PASSWORD_LIMIT.reached(failures):
        return EXISTING_THROTTLED
    if not secrets_box.password_matches(login.password_hash, password[: passwords.MAX_LENGTH]):
        session.add(AuthFailure(account=account, ip="", factor="password", at=now))
        return EXISTING_PASSWORD
    return None


def usable_trustee_login(login: Login | None, now: datetime) -> bool:
    return login is not None and login.status == LoginStatus.ACTIVE and may_use(login.status, login.last_day, now)


def joining_login(session: Session, member_id: int, code_id: int, login_id: int | None, now: datetime
                  ) -> Login | None:
    """The trustee company's active login this registration adds the member to, once its password was right."""
    code = session.get(RegistrationCode, code_id)
    login = session.get(Login, login_id) if login_id is not None else None
    if code is None or code.member_id != member_id or code.trustee_id is None or code.login_id is not None:
        return None
    if login is None or login.trustee_id != code.trustee_id or not usable_trustee_login(login, now):
        return None
    return login


def mandate_rights(session: Session, member_id: int, trustee_id: int, now: datetime) -> list[str]:
    """R14: the mandate covers what the current powers of attorney cover; if none is current any more, the
    latest one's scope, which gives no access until a power is current again (mandates.active_rights)."""
    current = mandates.current_powers(session, member_id, trustee_id, now)
    powers = current or mandates.powers(session, member_id, trustee_id)[-1:]
    wanted = {right for poa in powers for right in poa.scope}
    return [right for right in catalogue.CATALOGUE if right in wanted]


def grant_trustee_mandate(session: Session, login: Login, member_id: int, actor: str, now: datetime) -> int:
    """R14, R15: way (b): the access lasts as long as a power of attorney, unless an administrator confirms it."""
    assert login.trustee_id is not None
    return mandates.grant(session, login.id, member_id, mandate_rights(session, member_id, login.trustee_id, now),
                          actor, now, way=BY_FUND_CODE)


def complete_prepared(session: Session, member_id: int, code: RegistrationCode, person: Person) -> int:
    """R16: the person sets the password, mobile number and language; staff's name, e-mail and rights stay."""
    login = pending_login(session, member_id, code.id, code.login_id)
    if login is None:
        raise RegistrationError(START_AGAIN)
    login.mobile = person.mobile or login.mobile
    login.language = person.language
    login.password_hash = secrets_box.hash_password(person.password)
    if not login.totp_secret:
        login.totp_secret = secrets_box.encrypt(totp.new_secret())
    session.flush()
    return login.id


def save_trustee_person(session: Session, code: RegistrationCode, login_id: int | None, person: Person,
                         now: datetime) -> int:
    """R15: a pending login of the trustee company, with no rights of its own: its mandate gives them."""
    assert code.trustee_id is not None
    email = person.email.strip().lower()
    existing = trustee_login_with_email(session, code.trustee_id, email)
    if existing is not None and usable_trustee_login(existing, now):
        problem = join_existing(session, existing, person.password, now)
        if problem:
            raise RegistrationError(problem, "password")
        return existing.id
    if existing is not None:
        raise RegistrationError(TRUSTEE_EMAIL_TAKEN, "email")
    login = pending_login(session, code.member_id, code.id, login_id)
    if login is None:
        login = Login(trustee_id=code.trustee_id, member_id=None, status=LoginStatus.PENDING, created_at=now,
                      registration_code_id=code.id, totp_secret=secrets_box.encrypt(totp.new_secret()),
                      totp_last_step=0, rights=[], session_version=1)
        session.add(login)
    login.name, login.email, login.mobile, login.language = person.name.strip(), email, person.mobile, person.language
    login.password_hash = secrets_box.hash_password(person.password)
    session.flush()
    return login.id
