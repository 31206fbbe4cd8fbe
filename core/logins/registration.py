"""Registering a login with the postal code (R2, R3, R4, R7, R8, R15, R16).

Three steps, each its own transaction: the code opens the registration, the person's details make a *pending*
login with a new TOTP secret, and the first valid TOTP makes the login active and uses the code up, together.
The code is never a way to log in (R4): it only lets this one registration go ahead.

What the code registers depends on the code (`route`): most codes make a member's first administrator; a code
sent to a trustee (R15) makes a login of the trustee company with a mandate for the member; a code for a login
the fund prepared on an official letter (R16) completes that login, whose name, e-mail and rights staff set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import attempt_locks, audit, clock, config, secrets_box
from core.codes import codes as code_service
from core.desk import cases
from core.domain import codes, rights, totp
from core.domain import passwords as rules
from core.domain.states import CaseStatus, CodeStatus, LoginStatus
from core.logins import registration_routes
from core.logins.registration_routes import (  # noqa: F401 - the web layer reads them from here
    ADMINISTRATOR,
    PREPARED,
    START_AGAIN,
    TRUSTEE,
    TRUSTEE_EMAIL_TAKEN,
    Person,
    Preset,
    RegistrationError,
    complete_prepared,
    pending_login,
    preset,
    route_of,
    route_of_code,
    save_trustee_person,
)
from core.models import AuthFailure, Case, CodeAttempt, Login, Member, RegistrationCode
from core.translatable import N_

SECOND_FACTOR = "second_factor"


class CodeCheck(StrEnum):
    OK = "ok"
    NO_MATCH = "no_match"  # wrong, unknown member, expired, voided or used: the person is not told which
    BLOCKED = "blocked"  # R3: five wrong codes in 15 minutes


@dataclass(frozen=True)
class Opened:
    """The outcome of entering a code; ids only when it opened a registration."""

    result: CodeCheck
    member_id: int | None = None
    code_id: int | None = None
    case_opened: bool = False  # R3: the codes were stopped and a case opened for staff with this attempt
    route: str = ADMINISTRATOR  # what the code registers: ADMINISTRATOR, TRUSTEE or PREPARED
    login_id: int | None = None  # PREPARED: the login the fund prepared, which this registration completes


def open_with_code(session: Session, member_number: str, code: str, now: datetime) -> Opened:
    """Step 1. `code` is already read (codes.read). Every failure does the same work, known member or not."""
    secret = config.get().code_hmac_secret
    member = session.scalar(select(Member).where(Member.member_number == member_number))
    attempt_key = member_number if member is not None else _unknown_key(secret, member_number)
    attempt_locks.take_turns(session, f"code:{attempt_key}")  # R3: parallel guesses are counted one by one
    recent = session.scalars(
        select(CodeAttempt.at).where(CodeAttempt.member_number == attempt_key,
                                     CodeAttempt.at > now - codes.WRONG_WINDOW)
    ).all()
    if codes.entry_blocked(list(recent), now):
        return Opened(CodeCheck.BLOCKED)  # R3: the code is not even looked at
    code_hash = codes.keyed_hash(secret, member_number, code)
    found = session.scalar(select(RegistrationCode).where(RegistrationCode.code_hash == code_hash))
    if member is not None and found is not None and found.member_id == member.id and _usable(found, now):
        return Opened(CodeCheck.OK, member.id, found.id, route=route_of(found), login_id=found.login_id)
    return _wrong_code(session, attempt_key, member, now)


def _unknown_key(secret: str, typed: str) -> str:
    """What is kept of a member number that names no member: people swap the fields and type their code
    there, and a code must never be stored in the clear (R1). Still throttled like a real one (R3)."""
    return "?" + codes.keyed_hash(secret, "?", typed)[:19]


def _usable(code: RegistrationCode, now: datetime) -> bool:
    return codes.usable(codes.CodeState(code.status, code.expires_on), clock.today_in_zurich(now))


def _wrong_code(session: Session, attempt_key: str, member: Member | None, now: datetime) -> Opened:
    session.add(CodeAttempt(member_number=attempt_key, at=now))
    # One UPDATE, so two wrong codes at the same moment both count (R3: 100 in all). A number that names no member
    # runs the same statement on no row: the time taken must not tell a wrong number from a wrong code.
    failures = session.scalar(
        update(Member).where(Member.id == (member.id if member is not None else -1))
        .values(code_failures=Member.code_failures + 1).returning(Member.code_failures)
    )
    subject = f"member:{member.member_number}" if member is not None else "member:unknown"
    audit.record(session, audit.Entry("anonymous", "code.entry_failed", member.id if member else None, subject,
                                      {"failures_in_all": failures}), now)
    if member is not None and failures is not None and codes.exhausted(failures):
        return Opened(CodeCheck.NO_MATCH, case_opened=_stop_codes(session, member, now))
    return Opened(CodeCheck.NO_MATCH)


def _stop_codes(session: Session, member: Member, now: datetime) -> bool:
    """R3: after 100 wrong codes in all, the member's codes are voided and staff decide what happens next."""
    code_service.void_unused(session, [member.id], code_service.ALL_PURPOSES, now, "too many wrong codes")
    already_open = session.scalar(
        select(Case.id).where(Case.member_id == member.id, Case.kind == "code_exhausted",
                              Case.status == CaseStatus.OPEN)
    )
    if already_open is not None:
        return False
    cases.open_case(
        session, kind="code_exhausted", member_id=member.id, now=now,
        why=(f"{codes.MAX_WRONG_IN_ALL} or more wrong registration codes were entered for member "
             f"{member.member_number}; its codes were voided. Check with the member before sending a new code."),
    )
    return True


def still_open(session: Session, member_id: int, code_id: int, now: datetime) -> bool:
    """Between steps: the code may have been used by another registration, voided or expired meanwhile."""
    code = session.get(RegistrationCode, code_id)
    return code is not None and code.member_id == member_id and _usable(code, now)


EMAIL_TAKEN = N_("Your company already has an active login with this e-mail address. Log in with it instead.")


def save_person(session: Session, member_id: int, code_id: int, login_id: int | None, person: Person,
                now: datetime) -> int:
    """Step 2: a pending login holding the person's details, the password hash and a new TOTP secret.
    Going back and changing the details keeps the secret, so an app already set up still works."""
    member = session.get(Member, member_id)
    if member is None or not still_open(session, member_id, code_id, now):
        raise RegistrationError(START_AGAIN)
    problem = rules.problem(person.password, member.member_number)
    if problem:
        raise RegistrationError(problem, "password")
    code = session.get_one(RegistrationCode, code_id)
    if code.login_id is not None:
        return complete_prepared(session, member_id, code, person)
    if code.trustee_id is not None:
        return save_trustee_person(session, code, login_id, person, now)
    email = person.email.strip().lower()
    taken = session.scalar(select(Login.id).where(Login.member_id == member_id, Login.status == LoginStatus.ACTIVE,
                                                  func.lower(Login.email) == email))
    if taken is not None:
        raise RegistrationError(EMAIL_TAKEN, "email")
    login = pending_login(session, member_id, code_id, login_id)
    if login is None:
        login = Login(member_id=member_id, status=LoginStatus.PENDING, created_at=now, registration_code_id=code_id,
                      totp_secret=secrets_box.encrypt(totp.new_secret()), totp_last_step=0,
                      rights=rights.all_rights(), session_version=1)
        session.add(login)
    login.name, login.email, login.mobile, login.language = person.name.strip(), email, person.mobile, person.language
    login.password_hash = secrets_box.hash_password(person.password)
    session.flush()
    return login.id


@dataclass(frozen=True)
class Enrolment:
    """What the authenticator page shows: the secret exists in the clear only for this page."""

    secret: str
    uri: str
    name: str
    email: str
    mobile: str
    language: str
    member_number: str


def joining(session: Session, member_id: int, code_id: int, login_id: int | None, now: datetime) -> bool:
    """The registration adds the member to the person's existing trustee login: its app is set up already."""
    return registration_routes.joining_login(session, member_id, code_id, login_id, now) is not None


def enrolment(session: Session, member_id: int, code_id: int, login_id: int) -> Enrolment | None:
    login = pending_login(session, member_id, code_id, login_id)
    if login is None:
        return None
    return enrolment_of(login, session.get(Member, member_id))


def enrolment_of(login: Login, member: Member | None = None) -> Enrolment:
    """The authenticator set-up of a pending login; invitations (core.logins.invitations) show it too. A
    trustee login (R13) has no member of its own: `member` is the one it was invited for."""
    secret = secrets_box.decrypt(login.totp_secret)
    owner = member or login.member
    assert owner is not None  # a trustee login is shown for the member it registers or is invited for
    number = owner.member_number
    issuer = f"{config.get().fund_name} connect"
    uri = totp.provisioning_uri(secret, f"{login.email} ({number})", issuer)
    return Enrolment(secret, uri, login.name, login.email, login.mobile, login.language, number)


class Activation(StrEnum):
    OK = "ok"
    WRONG_OTP = "wrong_otp"
    THROTTLED = "throttled"  # R9: five wrong one-time passwords in 5 minutes
    GONE = "gone"  # the code or the pending login is no longer there: start again


def activate(session: Session, member_id: int, code_id: int, login_id: int, otp: str, ip: str,
             now: datetime) -> Activation:
    """Step 3, one transaction: the first valid TOTP makes the login active and uses the code up (R2, R8). For a
    trustee person who already has a login at the company, the TOTP of that login adds the member to it (R13)."""
    login = pending_login(session, member_id, code_id, login_id) \
        or registration_routes.joining_login(session, member_id, code_id, login_id, now)
    if login is None:
        return Activation.GONE
    account = f"login:{login.id}"
    failures = session.scalar(select(func.count()).where(
        AuthFailure.account == account, AuthFailure.factor == SECOND_FACTOR,
        AuthFailure.at >= rules.SECOND_FACTOR_LIMIT.since(now)))
    if rules.SECOND_FACTOR_LIMIT.reached(failures or 0):
        return Activation.THROTTLED
    step = totp.accepted_step(secrets_box.decrypt(login.totp_secret), otp, now, login.totp_last_step)
    if step is None:
        session.add(AuthFailure(account=account, ip=ip[:45], factor=SECOND_FACTOR, at=now))
        return Activation.WRONG_OTP
    if not _use_code(session, member_id, code_id, now):
        return Activation.GONE
    joining = login.status == LoginStatus.ACTIVE  # a trustee person's existing login: only the mandate is new
    if not joining:
        login.status, login.activated_at = LoginStatus.ACTIVE, now
    login.totp_last_step = step
    route = route_of(session.get_one(RegistrationCode, code_id))
    actor = f"login:{login.id}"
    created = [] if joining else [_created_entry(login, route, member_id)]
    audit.record_many(session, [*created, audit.Entry(actor, "code.used", member_id, f"code:{code_id}", {})], now)
    if route == TRUSTEE:
        registration_routes.grant_trustee_mandate(session, login, member_id, actor, now)  # audited there
    return Activation.OK


def _created_entry(login: Login, route: str, member_id: int) -> audit.Entry:
    actor = f"login:{login.id}"
    if route == PREPARED:  # staff recorded its creation when the case was approved
        return audit.Entry(actor, "login.activated", member_id, actor,
                           {"rights": list(login.rights), "via": "exceptional_registration"})
    detail: dict[str, object] = {"rights": list(login.rights), "via": "registration_code"}
    if login.trustee_id is not None:
        detail["trustee_id"] = login.trustee_id
    return audit.Entry(actor, "login.created", member_id, actor, detail)


def _use_code(session: Session, member_id: int, code_id: int, now: datetime) -> bool:
    """R2 single use: lock the code row, check it once more, and mark it used only if nobody else has."""
    code = session.scalar(select(RegistrationCode).where(RegistrationCode.id == code_id).with_for_update())
    if code is None or code.member_id != member_id or not _usable(code, now):
        return False
    # The status condition keeps SQLite (no row locks) single-use too.
    used = session.scalar(
        update(RegistrationCode).where(RegistrationCode.id == code_id, RegistrationCode.status == CodeStatus.ISSUED)
        .values(status=CodeStatus.USED, used_at=now).returning(RegistrationCode.id)
    )
    return used is not None
