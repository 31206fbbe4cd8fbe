"""User administration (R10–R12, R18): an administrator lists, creates, edits, deactivates and reactivates the
logins of their own member; every login can end itself.

Each use case loads the acting login from the database and checks it again: the browser's session is not
trusted for rights. A login of another member is "not found", never "forbidden", so no id tells whether it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import attempt_locks, audit, clock, mail
from core.domain import logins as rules
from core.domain import rights
from core.domain.deactivation import may_use
from core.domain.states import InvitationStatus, LoginStatus
from core.models import Invitation, Login, Member
from core.services import invitation_links
from core.translatable import N_

LANGUAGES = ("de", "fr", "it", "en")
EMAIL_TAKEN = N_("Your company already has a login with this e-mail address.")
NOT_ACTIVE = N_("This login is not active, so it cannot be deactivated.")
NEVER_REGISTERED = N_("This person never finished the registration. Create a new login for them instead.")
ALREADY_ACTIVE = N_("This login is active and has no last working day.")
NO_LAST_DAY = N_("Your login has no last working day, so there is nothing to remove.")
UNKNOWN_LANGUAGE = N_("Choose one of the languages offered.")


class NotAllowed(Exception):
    """The acting login may not do this (R10): the page answers 403."""


class NotFound(LookupError):
    """No such login or invitation for this member: the page answers 404, whether or not it exists elsewhere."""


class Refused(Exception):
    """The change breaks a rule; nothing was changed. `message` is an English source string for the page,
    `values` fill its placeholders, `field` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None, **values: str) -> None:
        super().__init__(message)
        self.message, self.field, self.values = message, field, values


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
    from core.services import member_auth, profile, sms_codes

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


def deactivate(session: Session, actor_id: int, login_id: int, last_day: date | None, now: datetime) -> None:
    """R11: end a login now, or after its last working day. A login ends itself; administrators end others."""
    actor = acting(session, actor_id, now)
    if login_id != actor.id and not rights.is_administrator(list(actor.rights)):
        raise NotAllowed
    target = actor if login_id == actor.id else of_member(session, actor.member_id, login_id)
    today = clock.today_in_zurich(now)
    if rules.standing(target.status, target.last_day, today) not in (rules.Standing.ACTIVE, rules.Standing.ENDING):
        raise Refused(NOT_ACTIVE)
    if last_day is not None and (problem := rules.last_day_problem(last_day, today)):
        raise Refused(problem, "last_day")
    keep_an_administrator(session, target, rules.administration_ends(today, last_day), today, actor)
    if last_day is None:
        end_now(session, target, account(actor), now)
        return
    target.last_day = last_day
    audit.record(session, audit.Entry(account(actor), "login.deactivation_scheduled", target.member_id,
                                      account(target), {"last_day": last_day.isoformat()}), now)


def keep_own_login(session: Session, login_id: int, now: datetime) -> date:
    """R11: a login takes back its own last working day and keeps working; returns the day removed.

    R12 has nothing to check: removing a date never takes an administrator away. Its sessions stay valid, since
    nothing about who may use the login changed (R22)."""
    login = acting(session, login_id, now)
    if login.last_day is None:
        raise Refused(NO_LAST_DAY)
    removed, login.last_day = login.last_day, None
    audit.record(session, audit.Entry(account(login), "login.deactivation_cancelled", login.member_id,
                                      account(login), {"last_day": removed.isoformat()}), now)
    return removed


def end_now(session: Session, target: Login, actor: str, now: datetime) -> None:
    """R11: refused from this moment; every session of the login ends at once (new session version)."""
    target.status, target.deactivated_at, target.last_day = LoginStatus.DEACTIVATED, now, None
    target.session_version += 1
    session.flush()
    audit.record(session, audit.Entry(actor, "login.deactivated", target.member_id, account(target), {}), now)
    tell_administrators(session, [Ended(target.id, target.member_id, target.name, None, target.session_version)],
                        now, skip={actor})


def reactivate(session: Session, editor_id: int, login_id: int, now: datetime) -> None:
    """A deactivated login works again; a scheduled one keeps working (its last day is removed)."""
    editor = administrator(session, editor_id, now)
    target = of_member(session, editor.member_id, login_id)
    if target.activated_at is None:
        raise Refused(NEVER_REGISTERED)
    standing = rules.standing(target.status, target.last_day, clock.today_in_zurich(now))
    if standing == rules.Standing.ACTIVE:
        raise Refused(ALREADY_ACTIVE)
    action = "login.deactivation_cancelled" if standing == rules.Standing.ENDING else "login.reactivated"
    target.status, target.last_day, target.deactivated_at = LoginStatus.ACTIVE, None, None
    # Sessions from before are not brought back to life: a login past its last day kept its session version.
    target.session_version += 1
    audit.record(session, audit.Entry(account(editor), action, target.member_id, account(target), {}), now)


@dataclass(frozen=True)
class Ended:
    login_id: int
    member_id: int | None
    name: str
    last_day: date | None
    session_version: int


def tell_administrators(session: Session, ended: list[Ended], now: datetime, skip: set[str] | None = None) -> int:
    """E-mail each member's administrators that a login ended, once per ending (the key names the version)."""
    # A trustee login (R13) has no member, so no administrators to tell.
    of_members = [(end, end.member_id) for end in ended if end.member_id is not None]
    if not of_members:
        return 0
    member_ids = sorted({member_id for _, member_id in of_members})
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(member_ids)))}
    admins: dict[int | None, list[Login]] = {}
    for login in session.scalars(select(Login).where(Login.member_id.in_(member_ids),
                                                     Login.status == LoginStatus.ACTIVE)):
        if rights.is_administrator(list(login.rights)) and may_use(login.status, login.last_day, now):
            admins.setdefault(login.member_id, []).append(login)
    sent = 0
    for end, member_id in of_members:
        for admin in admins.get(member_id, []):
            if admin.id == end.login_id or account(admin) in (skip or set()):
                continue
            mail.queue(session, to=admin.email, name="login_ended", lang=admin.language,
                       context=_ended_context(end, admin, members[member_id]),
                       key=f"login-ended:{end.login_id}:{end.session_version}:{admin.id}", now=now)
            sent += 1
    return sent


def _ended_context(end: Ended, admin: Login, member: Member) -> dict[str, Any]:
    return {"administrator_name": admin.name, "login_name": end.name, "company_name": member.name,
            "member_number": member.member_number,
            "last_day": end.last_day.strftime("%d.%m.%Y") if end.last_day else ""}


def account(login: Login) -> str:
    return f"login:{login.id}"
