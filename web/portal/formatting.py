"""Dates and times on portal pages: Swiss notation, Europe/Zurich time."""

from __future__ import annotations

from datetime import date, datetime

from core.clock import ZURICH
from core.domain.deactivation import refused_from
from core.logins import security_history
from letters.dates import long_date
from web.i18n import current, translate


def day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def long_day(value: date | None) -> str:
    """A day as a Swiss reader writes it in the page's language: "31. März 2026", "1er avril 2026"."""
    return long_date(value, current()) if value else ""


def first_refused_day(last_day: date) -> str:
    """R11: the day from whose midnight (Zurich) a login with this last working day is refused."""
    return long_day(refused_from(last_day).date())


def moment(value: datetime | None) -> str:
    return value.astimezone(ZURICH).strftime("%d.%m.%Y %H:%M") if value else ""


def event_text(event: security_history.Event) -> str:
    """One event in plain words, in the page's language."""
    values = event.values
    return translate(
        event.what,
        actor=event.who if event.who_is_name else translate(event.who),
        subject=values.get("subject") or translate(security_history.NOBODY),
        fields=", ".join(translate(name) for name in values.get("fields", [])),
        rights=", ".join(translate(label) for label in values.get("rights", [])) or translate("none"),
        day=values.get("day", ""),
        action=values.get("action", ""),
    )
