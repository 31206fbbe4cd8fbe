"""The date line as a Swiss letter writes it, per language: "Bern, 26. November 2026", "Berne, le 1er décembre
2026", "Berna, 26 novembre 2026"."""

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
