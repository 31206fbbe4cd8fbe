"""R11, R12: a login ends, now or after its last working day, and may be reactivated; the member never loses its
last administrator, and the administrators hear of every login that ended (user administration in
core.logins.logins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, clock, mail
from core.domain import logins as rules
from core.domain import rights
from core.domain.deactivation import may_use
from core.domain.states import LoginStatus
from core.logins.logins import NotAllowed, account, acting, administrator, keep_an_administrator, of_member
from core.models import Login, Member
from core.refusal import Refused
from core.translatable import N_

NOT_ACTIVE = N_("This login is not active, so it cannot be deactivated.")
NEVER_REGISTERED = N_("This person never finished the registration. Create a new login for them instead.")
ALREADY_ACTIVE = N_("This login is active and has no last working day.")
NO_LAST_DAY = N_("Your login has no last working day, so there is nothing to remove.")


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


