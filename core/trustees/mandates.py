"""R13, R14: a trustee login's mandates, and the rights each gives it at this moment.

Rights are recomputed from the database on every call: a mandate the member's administrators revoked or whose
end date has passed, and for way (b) a power of attorney that ended or was revoked, stops the trustee's access on
its next request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.domain import mandates as rules
from core.domain import rights as catalogue
from core.domain.deactivation import may_use
from core.domain.states import LoginStatus, MandateStatus
from core.models import Login, Mandate, Member, PowerOfAttorney, Trustee


class UnknownRight(ValueError):
    pass


def state(poa: PowerOfAttorney) -> rules.PowerOfAttorneyState:
    return rules.PowerOfAttorneyState(poa.valid_from, poa.valid_until, poa.revoked_at, frozenset(poa.scope))


def powers(session: Session, member_id: int, trustee_id: int) -> list[PowerOfAttorney]:
    query = (select(PowerOfAttorney)
             .where(PowerOfAttorney.member_id == member_id, PowerOfAttorney.trustee_id == trustee_id)
             .order_by(PowerOfAttorney.valid_from, PowerOfAttorney.id))
    return list(session.scalars(query))


def current_powers(session: Session, member_id: int, trustee_id: int, now: datetime) -> list[PowerOfAttorney]:
    return [poa for poa in powers(session, member_id, trustee_id) if rules.is_current(state(poa), now)]


def active_mandate(session: Session, login_id: int, member_id: int) -> Mandate | None:
    return session.scalar(select(Mandate).where(Mandate.login_id == login_id, Mandate.member_id == member_id,
                                                Mandate.status == MandateStatus.ACTIVE))


def _ordered(rights: Iterable[str]) -> list[str]:
    wanted = set(rights)
    unknown = wanted - set(catalogue.CATALOGUE)
    if unknown:
        raise UnknownRight(f"unknown right: {', '.join(sorted(unknown))}")
    return [r for r in catalogue.CATALOGUE if r in wanted]


def grant(session: Session, login_id: int, member_id: int, rights: Iterable[str], actor: str, now: datetime,
          way: str = rules.GRANTED, valid_until: date | None = None) -> int:
    """Add the mandate, or give the one active mandate for this login and member these rights (audited). An
    administrator's grant (way (a)) makes an existing way (b) mandate the member's own; a fund code never turns
    the member's grant back into way (b)."""
    ordered = _ordered(rights)
    mandate = active_mandate(session, login_id, member_id)
    if mandate is None:
        mandate = Mandate(login_id=login_id, member_id=member_id, rights=ordered, status=MandateStatus.ACTIVE,
                          created_at=now, created_by=actor, way=way, valid_until=valid_until)
        session.add(mandate)
        action = "mandate_granted"
    elif way == rules.GRANTED:
        mandate.rights, mandate.way, mandate.valid_until = ordered, rules.GRANTED, valid_until
        action = "mandate_changed"
    elif mandate.way == rules.BY_FUND_CODE:
        mandate.rights = ordered
        action = "mandate_changed"
    else:
        return mandate.id  # the member's own grant stays as its administrator set it
    session.flush()
    audit.record(session, audit.Entry(actor, action, member_id, f"mandate:{mandate.id}", {
        "login_id": login_id, "rights": ordered, "way": mandate.way,
        "valid_until": mandate.valid_until.isoformat() if mandate.valid_until else None}), now)
    return mandate.id


def active_mandate_by_id(session: Session, mandate_id: int, member_id: int) -> Mandate | None:
    return session.scalar(select(Mandate).where(Mandate.id == mandate_id, Mandate.member_id == member_id,
                                                Mandate.status == MandateStatus.ACTIVE))


def _active_of_member(session: Session, mandate_id: int, member_id: int) -> Mandate | None:
    return session.scalar(select(Mandate).where(Mandate.id == mandate_id, Mandate.member_id == member_id,
                                                Mandate.status == MandateStatus.ACTIVE).with_for_update())


def set_end(session: Session, mandate_id: int, member_id: int, valid_until: date | None, actor: str,
            now: datetime) -> Mandate | None:
    """R13: the last day the access works (None: until revoked), audited; None if no such active mandate."""
    mandate = _active_of_member(session, mandate_id, member_id)
    if mandate is None:
        return None
    mandate.valid_until = valid_until
    audit.record(session, audit.Entry(actor, "mandate_end_set", member_id, f"mandate:{mandate.id}", {
        "login_id": mandate.login_id, "valid_until": valid_until.isoformat() if valid_until else None}), now)
    return mandate


def confirm(session: Session, mandate_id: int, member_id: int, actor: str, now: datetime) -> Mandate | None:
    """R14: an administrator makes a way (b) access the member's own grant (way (a)); it no longer depends on a
    power of attorney. Audited; None if no such active mandate."""
    mandate = _active_of_member(session, mandate_id, member_id)
    if mandate is None:
        return None
    if mandate.way != rules.GRANTED:
        mandate.way, mandate.confirmed_at, mandate.confirmed_by = rules.GRANTED, now, actor
        audit.record(session, audit.Entry(actor, "mandate_confirmed", member_id, f"mandate:{mandate.id}",
                                          {"login_id": mandate.login_id, "rights": list(mandate.rights)}), now)
    return mandate


def revoke(session: Session, mandate_id: int, member_id: int, actor: str, now: datetime) -> Mandate | None:
    """End the mandate at once (audited); None if the member has no such active mandate."""
    mandate = session.scalar(select(Mandate).where(Mandate.id == mandate_id, Mandate.member_id == member_id,
                                                   Mandate.status == MandateStatus.ACTIVE).with_for_update())
    if mandate is None:
        return None
    mandate.status, mandate.revoked_at, mandate.revoked_by = MandateStatus.REVOKED, now, actor
    audit.record(session, audit.Entry(actor, "mandate_revoked", member_id, f"mandate:{mandate.id}",
                                      {"login_id": mandate.login_id}), now)
    return mandate


def _trustee_login(session: Session, login_id: int) -> Login | None:
    login = session.get(Login, login_id)
    return login if login is not None and login.trustee_id is not None else None


def mandate_state(mandate: Mandate) -> rules.MandateState:
    return rules.MandateState(frozenset(mandate.rights), mandate.way, mandate.valid_until)


def effective(session: Session, mandate: Mandate, trustee_id: int, now: datetime) -> frozenset[str]:
    """R14: way (a) needs no power of attorney, so the register is read only for way (b)."""
    state = mandate_state(mandate)
    if state.way == rules.GRANTED or rules.mandate_ended(state, now):
        return rules.effective_rights(state, [], now)
    scopes = [poa.scope for poa in current_powers(session, mandate.member_id, trustee_id, now)]
    return rules.effective_rights(state, scopes, now)


def active_rights(session: Session, login_id: int, member_id: int, now: datetime) -> frozenset[str]:
    """The rights this trustee login has for this member now: empty without a mandate, after its end date, or
    for way (b) without a current power of attorney."""
    login = _trustee_login(session, login_id)
    mandate = active_mandate(session, login_id, member_id) if login is not None else None
    if login is None or mandate is None or login.trustee_id is None:
        return frozenset()
    return effective(session, mandate, login.trustee_id, now)


@dataclass(frozen=True)
class Principal:
    """A member a trustee login may act for now, and with which rights."""

    member_id: int
    member_number: str
    name: str
    rights: frozenset[str]


def acting_for(session: Session, login_id: int, member_id: int, now: datetime) -> Principal | None:
    """The member this trustee login may act for now, with its rights; None once nothing is left (R14)."""
    effective = active_rights(session, login_id, member_id, now)
    member = session.get(Member, member_id) if effective else None
    return Principal(member.id, member.member_number, member.name, effective) if member is not None else None


def members_of(session: Session, login_id: int, now: datetime) -> list[Principal]:
    """The members this trustee login can act for at this moment, by name."""
    login = _trustee_login(session, login_id)
    if login is None or login.trustee_id is None:
        return []
    rows = session.execute(select(Mandate, Member).join(Member, Member.id == Mandate.member_id)
                           .where(Mandate.login_id == login_id, Mandate.status == MandateStatus.ACTIVE)
                           .order_by(Member.name, Member.id)).all()
    principals = []
    for mandate, member in rows:
        held = effective(session, mandate, login.trustee_id, now)
        if held:
            principals.append(Principal(member.id, member.member_number, member.name, held))
    return principals


@dataclass(frozen=True)
class Access:
    """For the member's administrators: one trustee login with a mandate, what it may do and until when (R13),
    and the powers of attorney on record (R14)."""

    mandate_id: int
    trustee_id: int
    trustee_name: str
    trustee_uid: str
    person: str
    email: str
    login_status: str  # pending (invited), active, or deactivated (no access, whatever the mandate says)
    rights: list[str]
    effective: frozenset[str]
    powers: list[tuple[date, date | None, list[str]]]  # current ones: valid from, until, scope
    way: str = rules.GRANTED
    since: date | None = None  # the day the access was opened (way (a)) or the code used (way (b))
    valid_until: date | None = None
    ended: bool = False  # its end date has passed


def access(session: Session, mandate: Mandate, login: Login, trustee: Trustee, now: datetime) -> Access:
    current = current_powers(session, mandate.member_id, trustee.id, now)
    # A login past its last day is refused already (R11), though the sweep may not have marked it yet.
    status = login.status if login.status != LoginStatus.ACTIVE or may_use(login.status, login.last_day, now) \
        else "deactivated"
    return Access(mandate.id, trustee.id, trustee.name, trustee.uid, login.name, login.email, status,
                  list(mandate.rights), effective(session, mandate, trustee.id, now),
                  [(poa.valid_from, poa.valid_until, list(poa.scope)) for poa in current],
                  mandate.way, rules.zurich_day(mandate.created_at), mandate.valid_until,
                  rules.mandate_ended(mandate_state(mandate), now))


def accesses(session: Session, member_id: int, now: datetime) -> list[Access]:
    rows = session.execute(select(Mandate, Login, Trustee).join(Login, Login.id == Mandate.login_id)
                           .join(Trustee, Trustee.id == Login.trustee_id)
                           .where(Mandate.member_id == member_id, Mandate.status == MandateStatus.ACTIVE)
                           .order_by(Trustee.name, Login.name, Mandate.id)).all()
    return [access(session, mandate, login, trustee, now) for mandate, login, trustee in rows]
