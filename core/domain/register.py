"""The fund's member register as a CSV file: every row is checked before anything is stored (R1, R6, R19).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first member row 2.
A file that cannot be read at all (empty, wrong header, not UTF-8, broken CSV) gives one *fatal* error: nothing
from it may be trusted, so nothing is imported even when bad rows may be skipped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from core.domain.addresses import InvalidAddress, PostalAddress, check_language, check_swiss
from core.domain.identifiers import InvalidIdentifier, normalise_member_number, normalise_uid

COLUMNS = ("member_number", "uid", "name", "care_of", "street", "po_box", "postcode", "town", "language", "email")
# The database's column widths; a longer value would fail half-way through an import.
MAX_LENGTH = {"name": 200, "care_of": 200, "street": 200, "po_box": 100, "town": 100, "email": 254}
LABELS = {"name": "name", "care_of": "c/o line", "street": "street", "po_box": "PO box", "town": "town",
          "email": "e-mail"}
_BOM = b"\xef\xbb\xbf"
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


class _FileUnreadable(Exception):
    def __init__(self, reason: str, row: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.row = reason, row


def _decode(raw_lines: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 lines (a leading BOM, as Excel writes it, is dropped); a bad byte stops reading with its offset."""
    offset = 0
    for index, raw in enumerate(raw_lines):
        line = raw[len(_BOM):] if index == 0 and raw.startswith(_BOM) else raw
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            position = offset + (len(raw) - len(line)) + exc.start
            raise _FileUnreadable(
                f"the file is not UTF-8 (byte {position + 1} is 0x{raw[position - offset]:02x}); "
                "save it as 'CSV UTF-8' and import it again"
            ) from None
        offset += len(raw)


def _delimiter(header_line: str) -> str:
    """Comma as specified; a semicolon when the header has no comma (Swiss Excel saves CSV that way)."""
    return ";" if "," not in header_line and ";" in header_line else ","


def _check_header(header: list[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or doubled:
        problems = [f"{label}: {', '.join(values)}" for label, values in
                    (("missing", missing), ("unknown", unknown), ("twice", doubled)) if values]
        raise _FileUnreadable(f"the header must name the columns {','.join(COLUMNS)} ({'; '.join(problems)})")
    return names


def _records(raw_lines: Iterable[bytes]) -> Iterator[tuple[int, list[str], list[str]]]:
    """(row number, header, fields) for every non-blank row; _FileUnreadable names the row where reading stopped."""
    lines = _decode(raw_lines)
    row = 1  # the row being read: a spreadsheet's numbering, whatever line breaks quoted cells hold
    try:
        first = next(lines, None)
        if first is None or not first.strip():
            where = "the file is empty" if first is None else "the first row is blank"
            raise _FileUnreadable(f"{where}; the first row must be the header {','.join(COLUMNS)}")
        reader = csv.reader(_chain(first, lines), delimiter=_delimiter(first), strict=True)
        header = _check_header(next(reader))
        while True:
            row += 1
            fields = next(reader, None)
            if fields is None:
                return
            if any(field.strip() for field in fields):
                yield row, header, fields
    except _FileUnreadable as exc:
        raise _FileUnreadable(exc.reason, row) from None
    except csv.Error as exc:
        raise _FileUnreadable(f"the CSV is broken here ({exc}); check the quotes in this row", row) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


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
        for row, header, fields in _records(raw_lines):
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
    except _FileUnreadable as exc:
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
