"""The date line as a Swiss letter writes it, per language: "Bern, 26. November 2026", "Berne, le 1er décembre
2026", "Berna, 26 novembre 2026"."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date

LANGUAGES = ("de", "fr", "it", "en")
# CLDR writes the first of the month as a plain number; French and Italian letters write it as an ordinal.
FIRST = {"fr": "1er", "it": "1°"}


def swiss_locale(language: str) -> str:
    """The Babel locale of a language as written in Switzerland: de_CH, fr_CH, it_CH, and en_CH for English (the
    Swiss conventions, 24-hour clock and day-month-year, rather than British or American ones)."""
    return f"{language if language in LANGUAGES else 'de'}_CH"


@lru_cache(maxsize=256)
def long_date(day: date, language: str) -> str:
    """The date in words for the letter's language (unknown languages fall back to German), in CLDR's long form.
    Cached: a mailing writes the same few dates on every letter, and Babel takes a tenth of a millisecond each."""
    lang = language if language in LANGUAGES else "de"
    written = format_date(day, "long", locale=swiss_locale(lang))
    if day.day == 1 and lang in FIRST:
        return FIRST[lang] + written[1:]
    return written


# Swiss towns with a name of their own in another national language. A letter's date line names the town as a
# reader of that language writes it; a town not listed keeps the name of its postal address.
_TOWNS: dict[str, dict[str, str]] = {
    "Bern": {"fr": "Berne", "it": "Berna"},
    "Basel": {"fr": "Bâle", "it": "Basilea"},
    "Biel/Bienne": {"de": "Biel", "fr": "Bienne", "it": "Bienne", "en": "Biel"},
    "Chur": {"fr": "Coire", "it": "Coira"},
    "Fribourg": {"de": "Freiburg", "it": "Friburgo"},
    "Genève": {"de": "Genf", "it": "Ginevra", "en": "Geneva"},
    "Lausanne": {"it": "Losanna"},
    "Luzern": {"fr": "Lucerne", "it": "Lucerna", "en": "Lucerne"},
    "Neuchâtel": {"de": "Neuenburg"},
    "Schaffhausen": {"fr": "Schaffhouse", "it": "Sciaffusa"},
    "Sion": {"de": "Sitten"},
    "Solothurn": {"fr": "Soleure", "it": "Soletta"},
    "St. Gallen": {"fr": "Saint-Gall", "it": "San Gallo"},
    "Zürich": {"fr": "Zurich", "it": "Zurigo", "en": "Zurich"},
}


def place_name(town: str, language: str) -> str:
    """The town in the letter's language: "Bern" is "Berne" in French and "Berna" in Italian."""
    return _TOWNS.get(town, {}).get(language, town)
