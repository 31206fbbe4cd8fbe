"""User administration (R10–R12, R18): an administrator lists, creates, edits, deactivates and reactivates the
logins of their own member; every login can end itself.

Each use case loads the acting login from the database and checks it again: the browser's session is not
trusted for rights. A login of another member is "not found", never "forbidden", so no id tells whether it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import attempt_locks, audit, clock
from core.domain import logins as rules
from core.domain import rights
from core.domain.deactivation import may_use
from core.domain.states import InvitationStatus, LoginStatus
from core.logins import invitation_links, member_auth, profile, sms_codes
from core.models import Invitation, Login
from core.refusal import Refused
from core.translatable import N_

LANGUAGES = ("de", "fr", "it", "en")
EMAIL_TAKEN = N_("Your company already has a login with this e-mail address.")
UNKNOWN_LANGUAGE = N_("Choose one of the languages offered.")


class NotAllowed(Exception):
    """The acting login may not do this (R10): the page answers 403."""


class NotFound(LookupError):
    """No such login or invitation for this member: the page answers 404, whether or not it exists elsewhere."""


@dataclass(frozen=True)
class Details:
    """What an administrator types for a login: the mobile number already in E.164 (R7)."""

    name: str
    email: str
    mobile: str
    language: str
    rights: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    email: str
    mobile: str
    mobile_masked: str
    language: str
    rights: list[str]
    standing: rules.Standing
    last_day: date | None
    last_login_at: datetime | None
    activated_at: datetime | None
    deactivated_at: datetime | None
    is_self: bool


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    login_id: int
    name: str
    email: str
    sent_at: datetime
    expires_at: datetime
    expired: bool


@dataclass(frozen=True)
class Overview:
    logins: list[Row]
    invitations: list[PendingInvitation]
    editor_rights: list[str]


def acting(session: Session, login_id: int, now: datetime) -> Login:
    login = session.get(Login, login_id)
    if login is None or not may_use(login.status, login.last_day, now):
        raise NotAllowed
    return login


def administrator(session: Session, login_id: int, now: datetime) -> Login:
    """R10: only administrators manage logins."""
    login = acting(session, login_id, now)
    if not rights.is_administrator(list(login.rights)):
        raise NotAllowed
    return login


def member_of(login: Login) -> int:
    """The member whose logins this login manages; a trustee login (R13) manages none."""
    if login.member_id is None:
        raise NotAllowed
    return login.member_id


def of_member(session: Session, member_id: int | None, login_id: int) -> Login:
    login = session.get(Login, login_id)
    # A trustee login (R13) has no member: it is never "one of the member's logins", whoever asks.
    if login is None or member_id is None or login.member_id != member_id:
        raise NotFound
    return login


def row(login: Login, editor_id: int, today: date) -> Row:
    return Row(login.id, login.name, login.email, login.mobile, rules.masked_mobile(login.mobile), login.language,
               list(login.rights), rules.standing(login.status, login.last_day, today), login.last_day,
               login.last_login_at, login.activated_at, login.deactivated_at, login.id == editor_id)


def overview(session: Session, editor_id: int, now: datetime) -> Overview:
    editor = administrator(session, editor_id, now)
    today = clock.today_in_zurich(now)
    # A login whose invitation was cancelled never existed for the member: it is not listed.
    logins = session.scalars(
        select(Login).where(Login.member_id == editor.member_id, Login.status != LoginStatus.PENDING,
                            or_(Login.status == LoginStatus.ACTIVE, Login.activated_at.is_not(None)))
        .order_by(func.lower(Login.name), Login.id)
    ).all()
    return Overview([row(login, editor.id, today) for login in logins], pending_invitations(session, editor, now),
                    list(editor.rights))


def pending_invitations(session: Session, editor: Login, now: datetime) -> list[PendingInvitation]:
    found = session.execute(
        select(Invitation, Login).join(Login, Login.id == Invitation.login_id)
        .where(Invitation.member_id == editor.member_id, Invitation.status == InvitationStatus.PENDING,
               Login.status == LoginStatus.PENDING)
        .order_by(Invitation.created_at.desc())
    ).all()
    return [PendingInvitation(inv.id, login.id, login.name, login.email, inv.created_at, inv.expires_at,
                              not rules.invitation_open(inv.status, inv.expires_at, now)) for inv, login in found]


def detail(session: Session, editor_id: int, login_id: int, now: datetime) -> Row:
    editor = administrator(session, editor_id, now)
    return row(of_member(session, editor.member_id, login_id), editor.id, clock.today_in_zurich(now))


def _email_taken(session: Session, member_id: int, email: str, except_id: int | None) -> bool:
    query = select(Login.id).where(Login.member_id == member_id,
                                   Login.status.in_((LoginStatus.ACTIVE, LoginStatus.PENDING)),
                                   func.lower(Login.email) == email)
    if except_id is not None:
        query = query.where(Login.id != except_id)
    return session.scalar(query.limit(1)) is not None


def _checked(session: Session, editor: Login, details: Details, before: list[str], except_id: int | None
             ) -> tuple[Details, list[str]]:
    email = details.email.strip().lower()
    if details.language not in LANGUAGES:
        raise Refused(UNKNOWN_LANGUAGE, "language")
    if _email_taken(session, member_of(editor), email, except_id):
        raise Refused(EMAIL_TAKEN, "email")
    try:
        granted = rules.granted_rights(editor.rights, before, details.rights)
    except rules.GrantRefused as exc:
        raise Refused(str(exc), "rights") from exc
    cleaned = Details(details.name.strip(), email, details.mobile, details.language, tuple(granted))
    return cleaned, granted


def create(session: Session, editor_id: int, details: Details, now: datetime) -> int:
    """A pending login with the rights the administrator chose (R10), and its invitation by e-mail."""
    editor = administrator(session, editor_id, now)
    cleaned, granted = _checked(session, editor, details, [], None)
    login = Login(member_id=editor.member_id, name=cleaned.name, email=cleaned.email, mobile=cleaned.mobile,
                  language=cleaned.language, rights=granted, status=LoginStatus.PENDING, created_at=now,
                  session_version=1, totp_last_step=0, password_hash="", totp_secret="")
    session.add(login)
    session.flush()
    actor = account(editor)
    audit.record(session, audit.Entry(actor, "login.created", editor.member_id, account(login),
                                      {"rights": granted, "via": "invitation"}), now)
    invitation_links.invite(session, login, actor, now)
    return login.id


def edit(session: Session, editor_id: int, login_id: int, details: Details, now: datetime) -> None:
    """Name, e-mail, mobile, language and rights. A changed e-mail of an invited person gets a new invitation."""
    editor = administrator(session, editor_id, now)
    target = of_member(session, editor.member_id, login_id)
    before = list(target.rights)
    cleaned, granted = _checked(session, editor, details, before, target.id)
    today = clock.today_in_zurich(now)
    if rights.ADMINISTRATION in before and rights.ADMINISTRATION not in granted:
        keep_an_administrator(session, target, rules.administration_ends(today, None), today, editor,
                              giving_up_the_right=True)
    changed = [name for name, old, new in (("name", target.name, cleaned.name), ("email", target.email, cleaned.email),
                                           ("mobile", target.mobile, cleaned.mobile),
                                           ("language", target.language, cleaned.language)) if old != new]
    target.name, target.email, target.mobile, target.language = cleaned.name, cleaned.email, cleaned.mobile, \
        cleaned.language
    target.rights = granted
    entries = []
    if changed:
        entries.append(audit.Entry(account(editor), "login.changed", editor.member_id, account(target),
                                   {"fields": changed}))
    if before != granted:
        entries.append(audit.Entry(account(editor), "login.rights_changed", editor.member_id, account(target),
                                   {"before": before, "after": granted}))
    audit.record_many(session, entries, now)
    if "mobile" in changed:
        _forget_sms_codes(session, target)
    if target.status == LoginStatus.PENDING and "email" in changed:
        invitation_links.invite(session, target, account(editor), now)


def _forget_sms_codes(session: Session, login: Login) -> None:
    """A code already sent to the old number must not work any more (R7: codes go to the number on file)."""
    for purpose in (member_auth.SMS_PURPOSE, invitation_links.SMS_PURPOSE, profile.REAUTH_PURPOSE):
        sms_codes.void_codes(session, purpose=purpose, subject=account(login))


def keep_an_administrator(session: Session, target: Login, ends: date, today: date, actor: Login,
                          giving_up_the_right: bool = False) -> None:
    """R12: refuse when the member would have no active administrator after `ends`, with the successor steps."""
    if target.member_id is None:
        return  # a trustee login (R13) never administers a member: nobody depends on it
    # Two administrators leaving at the same moment take turns, so one of them stays: also on SQLite, which has no
    # row locks (core.attempt_locks takes its write lock).
    attempt_locks.take_turns(session, f"member-administrators:{target.member_id}")
    logins = session.scalars(select(Login).where(Login.member_id == target.member_id,
                                                 Login.status == LoginStatus.ACTIVE)
                             .execution_options(populate_existing=True)).all()
    colleagues = [rules.Colleague(login.id, login.status, tuple(login.rights), login.last_day) for login in logins]
    mine = next((c for c in colleagues if c.id == target.id), None)
    if mine is None or not rules.is_active_administrator(mine, today):
        return  # not an administrator (any more): nobody depends on them to manage logins
    if rules.leaves_no_administrator(colleagues, target.id, ends):
        own = actor.id == target.id
        if giving_up_the_right:
            message = rules.LAST_ADMINISTRATOR_RIGHT_SELF if own else rules.LAST_ADMINISTRATOR_RIGHT_OTHER
        else:
            message = rules.LAST_ADMINISTRATOR_SELF if own else rules.LAST_ADMINISTRATOR_OTHER
        raise Refused(message, None, name=target.name)


def account(login: Login) -> str:
    return f"login:{login.id}"
