"""The signatories file: authorised signatories as the commercial register lists them, one row a person and kind
of authority. Checked like the member register (core.domain.register): every row before anything is stored, rows
numbered as a spreadsheet shows them, a file that cannot be read at all gives one fatal error."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from core.domain import csv_file
from core.domain.identifiers import InvalidIdentifier, normalise_member_number
from core.domain.register import RowError
from core.domain.signing import AUTHORITIES

COLUMNS = ("member_number", "name", "function", "authority", "valid_from", "valid_until", "extract_date")
MAX_LENGTH = {"name": 200, "function": 200}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


@dataclass(frozen=True, slots=True)
class SignatoryRow:
    row: int
    member_number: str
    name: str
    function: str
    authority: str
    valid_from: date | None
    valid_until: date | None
    extract_date: date

    def key(self) -> tuple[str, str, str, date | None]:
        """One entry of the register: the same person with the same authority from the same day."""
        return self.member_number, " ".join(self.name.split()).casefold(), self.authority, self.valid_from


def parse_date(text: str) -> date:
    """2025-03-31 or 31.03.2025 (as Swiss spreadsheets write it)."""
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _date(reasons: list[str], values: dict[str, str], column: str, required: bool) -> date | None:
    text = values[column]
    if not text:
        if required:
            reasons.append(f"{column} is missing")
        return None
    try:
        return parse_date(text)
    except ValueError:
        reasons.append(f"{column} '{text}' is not a date (YYYY-MM-DD or DD.MM.YYYY)")
        return None


def check_row(row: int, values: dict[str, str]) -> SignatoryRow | RowError:
    """Every reason a row is bad, in one message."""
    reasons: list[str] = []
    try:
        member_number = normalise_member_number(values["member_number"])
    except InvalidIdentifier:
        member_number = values["member_number"]
        reasons.append("member number is missing" if not member_number
                       else f"member number '{member_number}' is longer than 20 characters")
    if not values["name"]:
        reasons.append("name is missing")
    authority = values["authority"].lower()
    if authority not in AUTHORITIES:
        reasons.append(f"authority '{values['authority']}' is not one of {', '.join(AUTHORITIES)}")
    valid_from = _date(reasons, values, "valid_from", required=False)
    valid_until = _date(reasons, values, "valid_until", required=False)
    extract_date = _date(reasons, values, "extract_date", required=True)
    if valid_from and valid_until and valid_until < valid_from:
        reasons.append("valid_until is before valid_from")
    reasons += [f"{c} is longer than {n} characters" for c, n in MAX_LENGTH.items() if len(values[c]) > n]
    reasons += [f"{c} contains a line break or control character" for c in COLUMNS if _CONTROL.search(values[c])]
    if reasons or extract_date is None:
        return RowError(row, "; ".join(reasons))
    return SignatoryRow(row, member_number, values["name"], values["function"], authority, valid_from, valid_until,
                        extract_date)


def validate_rows(raw_lines: Iterable[bytes]) -> tuple[list[SignatoryRow], list[RowError]]:
    """The good rows and one error per bad row; a row repeating an earlier entry is bad."""
    good: list[SignatoryRow] = []
    errors: list[RowError] = []
    first_seen: dict[tuple[str, str, str, date | None], int] = {}
    try:
        for row, header, fields in csv_file.records(raw_lines, COLUMNS):
            if len(fields) != len(header):
                errors.append(RowError(row, f"has {len(fields)} fields, the header has {len(header)}"))
                continue
            checked = check_row(row, {name: value.strip() for name, value in zip(header, fields, strict=True)})
            if isinstance(checked, RowError):
                errors.append(checked)
            elif checked.key() in first_seen:
                errors.append(RowError(row, f"repeats row {first_seen[checked.key()]} (same member, person, "
                                            "authority and valid_from)"))
            else:
                first_seen[checked.key()] = row
                good.append(checked)
    except csv_file.Unreadable as exc:
        errors.append(RowError(exc.row, exc.reason, fatal=True))
    return good, errors
