"""R14: both sides hear 30 days before a power of attorney ends: the member's active administrators, and the
trustee (the company's e-mail and its logins acting for that member). Each power is claimed by a conditional
update of `reminded_at`, so two beats at once send one reminder, and the e-mails ride in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core import audit, clock, mail
from core.domain import mandates as rules
from core.domain import rights
from core.domain.deactivation import may_use
from core.domain.states import LoginStatus, MandateStatus
from core.models import Login, Mandate, PowerOfAttorney

ACTOR = "poa-reminders"


def _due_ids(session: Session, now: datetime) -> list[int]:
    today = clock.today_in_zurich(now)
    query = select(PowerOfAttorney.id).where(
        PowerOfAttorney.reminded_at.is_(None), PowerOfAttorney.revoked_at.is_(None),
        PowerOfAttorney.valid_until.is_not(None), PowerOfAttorney.valid_until >= today,
        PowerOfAttorney.valid_until <= today + timedelta(days=rules.REMINDER_DAYS),
        PowerOfAttorney.valid_from <= today).order_by(PowerOfAttorney.id)
    return list(session.scalars(query))


def _claim(session: Session, poa_id: int, now: datetime) -> bool:
    claimed = session.scalar(update(PowerOfAttorney)
                             .where(PowerOfAttorney.id == poa_id, PowerOfAttorney.reminded_at.is_(None))
                             .values(reminded_at=now).returning(PowerOfAttorney.id))
    return claimed is not None


def recipients(session: Session, poa: PowerOfAttorney, now: datetime) -> dict[str, str]:
    """E-mail address → language, each address once."""
    found: dict[str, str] = {}
    admins = session.scalars(select(Login).where(Login.member_id == poa.member_id, Login.status == LoginStatus.ACTIVE)
                             .order_by(Login.id))
    for login in admins:
        if rights.is_administrator(list(login.rights)) and may_use(login.status, login.last_day, now):
            found.setdefault(login.email.lower(), login.language)
    if poa.trustee.email:
        found.setdefault(poa.trustee.email.lower(), poa.trustee.language)
    acting = session.scalars(select(Login).join(Mandate, Mandate.login_id == Login.id)
                             .where(Login.trustee_id == poa.trustee_id, Login.status == LoginStatus.ACTIVE,
                                    Mandate.member_id == poa.member_id, Mandate.status == MandateStatus.ACTIVE)
                             .order_by(Login.id))
    for login in acting:
        if may_use(login.status, login.last_day, now):
            found.setdefault(login.email.lower(), login.language)
    return found


def access_ends(session: Session, poa: PowerOfAttorney) -> bool:
    """R14: only an access that came from a fund code (way (b)) ends with the power of attorney; the member's own
    grant (way (a)) does not, and the reminder must not say it does."""
    return session.scalar(select(Mandate.id).join(Login, Login.id == Mandate.login_id).where(
        Login.trustee_id == poa.trustee_id, Mandate.member_id == poa.member_id, Mandate.status == MandateStatus.ACTIVE,
        Mandate.way == rules.BY_FUND_CODE).limit(1)) is not None


def _context(session: Session, poa: PowerOfAttorney) -> dict[str, object]:
    assert poa.valid_until is not None
    return {"member_name": poa.member.name, "member_number": poa.member.member_number,
            "trustee_name": poa.trustee.name, "trustee_uid": poa.trustee.uid,
            "valid_until": poa.valid_until.strftime("%d.%m.%Y"),
            "ends_from": (poa.valid_until + timedelta(days=1)).strftime("%d.%m.%Y"),
            "access_ends": access_ends(session, poa)}


def renewed(session: Session, poa: PowerOfAttorney) -> bool:
    """Another power between the same two, not revoked, already covers the day after this one ends: nothing
    changes on that day, so nobody needs to be told."""
    assert poa.valid_until is not None
    next_day = poa.valid_until + timedelta(days=1)
    return session.scalar(select(PowerOfAttorney.id).where(
        PowerOfAttorney.member_id == poa.member_id, PowerOfAttorney.trustee_id == poa.trustee_id,
        PowerOfAttorney.id != poa.id, PowerOfAttorney.revoked_at.is_(None), PowerOfAttorney.valid_from <= next_day,
        or_(PowerOfAttorney.valid_until.is_(None), PowerOfAttorney.valid_until >= next_day)).limit(1)) is not None


def remind(session: Session, poa_id: int, now: datetime) -> int:
    """Claim one power and queue its reminders; 0 if another run claimed it first or a newer power continues it."""
    if not _claim(session, poa_id, now):
        return 0
    poa = session.get_one(PowerOfAttorney, poa_id)
    if renewed(session, poa):
        return 0
    to = recipients(session, poa, now)
    context = _context(session, poa)
    for address, lang in to.items():
        mail.queue(session, to=address, name="poa_ending", lang=lang, context=context,
                   key=f"poa_ending:{poa.id}:{address}", now=now)
    audit.record(session, audit.Entry(ACTOR, "power_of_attorney.reminded", poa.member_id, f"poa:{poa.id}",
                                      {"recipients": len(to)}), now)
    return len(to)


def remind_expiring(session: Session, now: datetime) -> int:
    """Every due power once; returns how many e-mails were queued."""
    return sum(remind(session, poa_id, now) for poa_id in _due_ids(session, now))
