"""Dates and times on pages, formatted by Babel for the reader's Swiss locale (de_CH, fr_CH, it_CH,
en_CH: Swiss English keeps the Swiss numeric date and the 24-hour clock, which en_GB would not).

A day in figures is written 31.03.2026 in every language: the form the date fields accept (web.forms.SwissDay) and
the one Swiss readers of all four languages use; CLDR would write it_CH with slashes. Times are Zurich time."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_time

from core.clock import ZURICH
from letters.dates import long_date, swiss_locale
from web.i18n import language

DAY = "dd.MM.yyyy"
TIME = "HH:mm"


def day(value: date | None, lang: str | None = None) -> str:
    return format_date(value, DAY, locale=swiss_locale(language(lang))) if value else ""


def long_day(value: date | None, lang: str | None = None) -> str:
    """A day in words, as a Swiss reader writes it in the page's language: "31. März 2026", "1er avril 2026"."""
    return long_date(value, language(lang)) if value else ""


def moment(value: datetime | None, lang: str | None = None) -> str:
    """A point in time on the Zurich clock: "31.03.2026 14:05"."""
    if not value:
        return ""
    local, locale = value.astimezone(ZURICH), swiss_locale(language(lang))
    return f"{format_date(local.date(), DAY, locale=locale)} {format_time(local.time(), TIME, locale=locale)}"
