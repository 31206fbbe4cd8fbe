"""The fund's member register as a CSV file: every row is checked before anything is stored (R1, R6, R19).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first member row 2.
A file that cannot be read at all (empty, wrong header, not UTF-8, broken CSV) gives one *fatal* error: nothing
from it may be trusted, so nothing is imported even when bad rows may be skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from core.domain import csv_file
from core.domain.addresses import InvalidAddress, PostalAddress, check_language, check_swiss
from core.domain.identifiers import InvalidIdentifier, normalise_member_number, normalise_uid
from core.translatable import N_

COLUMNS = ("member_number", "uid", "name", "care_of", "street", "po_box", "postcode", "town", "language", "email")
# The database's column widths; a longer value would fail half-way through an import.
MAX_LENGTH = {"name": 200, "care_of": 200, "street": 200, "po_box": 100, "town": 100, "email": 254}
LABELS = {"name": "name", "care_of": "c/o line", "street": "street", "po_box": N_("PO box"), "town": "town",
          "email": "e-mail"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One member as the register gives it, checked and normalised."""

    row: int
    member_number: str
    uid: str
    name: str
    care_of: str
    street: str
    po_box: str
    postcode: str
    town: str
    language: str
    email: str

    def values(self) -> dict[str, str]:
        """The member's stored fields (everything but the row number)."""
        return {column: getattr(self, column) for column in COLUMNS}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reason: str
    fatal: bool = False  # the file itself is unreadable: nothing from it may be imported

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


def _checked(reasons: list[str], check: Callable[[str], str], value: str, reason: str) -> str:
    try:
        return check(value)
    except (InvalidIdentifier, InvalidAddress):
        reasons.append(reason)
        return value


def _uid_reason(text: str) -> str:
    if not text:
        return "UID is missing"
    return f"UID '{text}' is not valid (CHE- and 9 digits, the last one a check digit)"


def _member_number_reason(text: str) -> str:
    if not text:
        return "member number is missing"
    return f"member number '{text}' is longer than 20 characters"


def _language_reason(text: str) -> str:
    return "language is missing" if not text else f"language '{text}' is not one of de, fr, it, en"


def _email(reasons: list[str], text: str) -> str:
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        reasons.append(f"e-mail '{text}' is not valid: {exc}")
        return text


def _address_reasons(values: Mapping[str, str]) -> list[str]:
    address = PostalAddress(values["name"], values["care_of"], values["street"], values["po_box"],
                            values["postcode"], values["town"])
    try:
        check_swiss(address)
    except InvalidAddress as exc:
        return [str(exc)]
    return []


def _format_reasons(values: Mapping[str, str]) -> list[str]:
    reasons = [f"{LABELS[c]} is longer than {n} characters" for c, n in MAX_LENGTH.items() if len(values[c]) > n]
    # A line break or NUL inside a cell would break the letter's address block (and PostgreSQL refuses NUL).
    reasons += [f"{c} contains a line break or control character" for c in COLUMNS if _CONTROL.search(values[c])]
    return reasons


def check_row(row: int, fields: Mapping[str, str]) -> RegisterRow | RowError:
    """One row checked against R19 (UID, member number) and the Swiss address rules (R1, R6): every reason."""
    values = {column: (fields.get(column) or "").strip() for column in COLUMNS}
    reasons: list[str] = []
    member_number = _checked(reasons, normalise_member_number, values["member_number"],
                             _member_number_reason(values["member_number"]))
    uid = _checked(reasons, normalise_uid, values["uid"], _uid_reason(values["uid"]))
    reasons += _address_reasons(values)
    language = _checked(reasons, check_language, values["language"], _language_reason(values["language"]))
    email = _email(reasons, values["email"])
    reasons += _format_reasons(values)
    if reasons:
        return RowError(row, "; ".join(reasons))
    return RegisterRow(row, member_number, uid, values["name"], values["care_of"], values["street"],
                       values["po_box"], values["postcode"], values["town"], language, email)


def check_register(raw_lines: Iterable[bytes]) -> Iterator[RegisterRow | RowError]:
    """Every row of a register file, checked, in order; a fatal RowError ends the file."""
    first_seen: dict[str, int] = {}
    try:
        for row, header, fields in csv_file.records(raw_lines, COLUMNS):
            if len(fields) != len(header):
                yield RowError(row, f"has {len(fields)} fields, the header has {len(header)}")
                continue
            checked = check_row(row, dict(zip(header, fields, strict=True)))
            number = fields[header.index("member_number")].strip()
            if number and number in first_seen:
                yield RowError(row, f"member number '{number}' appears twice (first on row {first_seen[number]})")
                continue
            first_seen.setdefault(number, row)
            yield checked
    except csv_file.Unreadable as exc:
        yield RowError(exc.row, exc.reason, fatal=True)


def validate_rows(raw_lines: Iterable[bytes]) -> tuple[list[RegisterRow], list[RowError]]:
    """The good rows and one error per bad row. The file is given as bytes so its encoding is checked too."""
    good: list[RegisterRow] = []
    errors: list[RowError] = []
    for item in check_register(raw_lines):
        if isinstance(item, RegisterRow):
            good.append(item)
        else:
            errors.append(item)
    return good, errors
