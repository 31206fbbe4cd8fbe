"""Dates as a Swiss letter writes them, per language: "26. November 2026", "1er décembre 2026"."""

from __future__ import annotations

from datetime import date

MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
           "novembre", "dicembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def long_date(day: date, language: str) -> str:
    """The date in words for the letter's language (unknown languages fall back to German)."""
    lang = language if language in MONTHS else "de"
    month = MONTHS[lang][day.month - 1]
    if lang == "de":
        return f"{day.day}. {month} {day.year}"
    if lang == "fr" and day.day == 1:
        return f"1er {month} {day.year}"
    if lang == "it" and day.day == 1:
        return f"1° {month} {day.year}"
    return f"{day.day} {month} {day.year}"
