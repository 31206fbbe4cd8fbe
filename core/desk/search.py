"""What staff type into the one search field of the desk and of the power-of-attorney register: a reference the
member quotes (R-…, L-…, S-…), a case number, a member number, a UID or a part of a name, in any case and with any
characters. Each reading is an exact match on an indexed column, and a name is a case-insensitive substring match
on a trigram index (PostgreSQL; migration 0009), so a search costs the same with 200,000 cases as with 200. The
text is always a bound parameter and its LIKE wildcards are escaped: `%`, `_` and `\\` are searched as themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import InstrumentedAttribute

from core import refs
from core.domain.identifiers import InvalidIdentifier, normalise_uid

MAX_LENGTH = 100
MIN_NAME = 3  # shorter text matches too much to be a name search, and a trigram index cannot help with it
MAX_CASE_NUMBER = 2**63 - 1


@dataclass(frozen=True)
class Term:
    text: str  # as typed, trimmed
    reference: str = ""  # in its printed form, when the text reads as one
    uid: str = ""  # CHE-123.456.789, when the text is a valid UID
    number: int | None = None  # a case number

    @property
    def searches_names(self) -> bool:
        return len(self.text) >= MIN_NAME


def parse(raw: str | None) -> Term:
    text = " ".join((raw or "").split())[:MAX_LENGTH]
    if not text:
        return Term("")
    reference = refs.normalise(text)
    digits = text.removeprefix("#").strip()
    try:
        uid = normalise_uid(text)
    except InvalidIdentifier:
        uid = ""
    number = int(digits) if digits.isdigit() and int(digits) <= MAX_CASE_NUMBER else None
    return Term(text, reference if refs.looks_like_one(reference) else "", uid, number)


def name_matches(column: ColumnElement[str] | InstrumentedAttribute[str], term: Term) -> ColumnElement[bool]:
    """Any part of the name, case-insensitively; wildcards in the text match only themselves."""
    return func.lower(column).contains(term.text.lower(), autoescape=True)
