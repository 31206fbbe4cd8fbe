"""R13, R14: when a trustee's mandate works, and with which rights.

A power of attorney covers whole Zurich days: from 00:00 of its first day to the end of its last day. A
revocation is effective on receipt (Art. 34 OR), so it ends the power at the moment it was recorded, not at
midnight.

A mandate is one trustee login's access to one member. Way (a): the member's administrator opened it, so it is the
member's own grant and works within its rights until revoked or until its end date, whatever the fund has on
record. Way (b): it came from a code the fund sent to the trustee on a power of attorney (R15), so it works only
within the scope of a current power of attorney, until an administrator of the member confirms it (then it is
way (a)). Whether the fund may give the trustee information is a separate question (`verdict`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain import rights as catalogue
from core.translatable import N_

ZURICH = ZoneInfo("Europe/Zurich")
REMINDER_DAYS = 30


class InvalidPowerOfAttorney(ValueError):
    """The power of attorney as entered breaks a rule; the message names it (English source string)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class PowerOfAttorneyState:
    valid_from: date
    valid_until: date | None  # the last day it covers; None: until revoked
    revoked_at: datetime | None
    scope: frozenset[str]


def starts_at(valid_from: date) -> datetime:
    return datetime.combine(valid_from, time.min, ZURICH)


def ends_at(valid_until: date) -> datetime:
    """The first moment no longer covered: midnight Zurich after the last day."""
    return datetime.combine(valid_until + timedelta(days=1), time.min, ZURICH)


def is_current(poa: PowerOfAttorneyState, now: datetime) -> bool:
    if now < starts_at(poa.valid_from):
        return False
    if poa.valid_until is not None and now >= ends_at(poa.valid_until):
        return False
    return poa.revoked_at is None or now < poa.revoked_at


GRANTED = "a"  # way (a): the member's administrator opened or confirmed the access
BY_FUND_CODE = "b"  # way (b): a code the fund sent to the trustee on a power of attorney (R15)
WAYS = (GRANTED, BY_FUND_CODE)


@dataclass(frozen=True)
class MandateState:
    rights: frozenset[str]
    way: str
    valid_until: date | None = None  # the last day the administrator lets it work; None: until revoked


def mandate_ended(mandate: MandateState, now: datetime) -> bool:
    """R13, like R11: an end date lets the access work to the end of that day, Zurich time."""
    return mandate.valid_until is not None and now >= ends_at(mandate.valid_until)


def effective_rights(mandate: MandateState, current_scopes: Iterable[Iterable[str]], now: datetime
                     ) -> frozenset[str]:
    """R14: the rights the mandate gives now. Way (a) is the member's own grant and needs no power of attorney;
    way (b) gives only what some current power of attorney covers, nothing when none is current."""
    if mandate_ended(mandate, now):
        return frozenset()
    if mandate.way == GRANTED:
        return mandate.rights
    covered: set[str] = set()
    for scope in current_scopes:
        covered.update(scope)
    return mandate.rights & covered


ACCESS_END_PAST = N_("The end date cannot be in the past: enter today or a later day, or revoke the access now.")


def access_end_problem(valid_until: date | None, today: date) -> str | None:
    """An end date an administrator sets: today or later (an earlier day would end the access in the past)."""
    if valid_until is not None and valid_until < today:
        return ACCESS_END_PAST
    return None


def zurich_day(now: datetime) -> date:
    return now.astimezone(ZURICH).date()


def due_for_reminder(poa: PowerOfAttorneyState, now: datetime) -> bool:
    """R14: both sides hear of the end 30 days before; an open-ended, revoked or ended power needs no reminder."""
    if poa.valid_until is None or not is_current(poa, now):
        return False
    return (poa.valid_until - zurich_day(now)).days <= REMINDER_DAYS


@dataclass(frozen=True)
class Verdict:
    """The staff lookup: may we give information to this trustee about this member today? `reason` is an English
    source string with the placeholders {day} and {scope}, filled by `text` (or by a page, translated)."""

    allowed: bool
    reason: str
    poa_ids: tuple[int, ...] = ()
    day: date | None = None
    scope: tuple[str, ...] = ()

    def text(self) -> str:
        labels = ", ".join(catalogue.label(r) for r in self.scope)
        return self.reason.format(day=self.day.isoformat() if self.day else "", scope=labels)


NO_POA = N_("No power of attorney from this member to this trustee is on record.")
NOT_YET = N_("The power of attorney starts on {day}.")
ENDED = N_("The power of attorney ended on {day}.")
REVOKED = N_("The power of attorney was revoked on {day}.")
COVERED = N_("A current power of attorney covers: {scope}.")


def verdict(powers: Iterable[tuple[int, PowerOfAttorneyState]], now: datetime) -> Verdict:
    """Yes while one power of attorney is current, with its scope; otherwise no, with the nearest reason."""
    items = list(powers)
    current = [(poa_id, poa) for poa_id, poa in items if is_current(poa, now)]
    if current:
        scope = tuple(sorted(set().union(*(poa.scope for _, poa in current)), key=_catalogue_order))
        return Verdict(True, COVERED, tuple(poa_id for poa_id, _ in current), scope=scope)
    if not items:
        return Verdict(False, NO_POA)
    poa_id, poa = max(items, key=lambda item: item[1].valid_from)
    reason, day = _why_not(poa, now)
    return Verdict(False, reason, (poa_id,), day)


def _why_not(poa: PowerOfAttorneyState, now: datetime) -> tuple[str, date]:
    if poa.revoked_at is not None and now >= poa.revoked_at:
        return REVOKED, zurich_day(poa.revoked_at)
    if now < starts_at(poa.valid_from):
        return NOT_YET, poa.valid_from
    assert poa.valid_until is not None  # neither revoked nor in the future: it can only have ended
    return ENDED, poa.valid_until


def _catalogue_order(right: str) -> int:
    keys = list(catalogue.CATALOGUE)
    return keys.index(right) if right in keys else len(keys)


@dataclass(frozen=True)
class NewPowerOfAttorney:
    valid_from: date
    valid_until: date | None
    received_on: date
    scope: tuple[str, ...]


def check_new(poa: NewPowerOfAttorney, today: date) -> NewPowerOfAttorney:
    """Raise InvalidPowerOfAttorney naming the first broken rule; return it with the scope in catalogue order."""
    if poa.valid_until is not None and poa.valid_until < poa.valid_from:
        raise InvalidPowerOfAttorney(N_("The end date must be on or after the start date."), "valid_until")
    if poa.received_on > today:
        raise InvalidPowerOfAttorney(N_("The received date cannot be in the future."), "received_on")
    unknown = [r for r in poa.scope if r not in catalogue.CATALOGUE]
    if unknown:
        raise InvalidPowerOfAttorney(N_("The scope has an unknown right."), "scope")
    if not poa.scope:
        raise InvalidPowerOfAttorney(N_("Choose at least one right the power of attorney covers."), "scope")
    ordered = tuple(sorted(set(poa.scope), key=_catalogue_order))
    return NewPowerOfAttorney(poa.valid_from, poa.valid_until, poa.received_on, ordered)
