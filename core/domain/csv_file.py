"""Reading a CSV file that people export from a spreadsheet (the member register, the signatories): UTF-8 with or
without Excel's BOM, comma or (Swiss Excel) semicolon, a header naming exactly the expected columns, rows
numbered as the spreadsheet shows them (the header is row 1). A file that cannot be read raises Unreadable with
the row where reading stopped."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from core.translatable import N_

_BOM = b"\xef\xbb\xbf"


class Unreadable(Exception):
    def __init__(self, reason: str, row: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.row = reason, row


def _decode(raw_lines: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 lines (a leading BOM is dropped); a bad byte stops reading with its offset."""
    offset = 0
    for index, raw in enumerate(raw_lines):
        line = raw[len(_BOM):] if index == 0 and raw.startswith(_BOM) else raw
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            position = offset + (len(raw) - len(line)) + exc.start
            raise Unreadable(
                f"the file is not UTF-8 (byte {position + 1} is 0x{raw[position - offset]:02x}); "
                "save it as 'CSV UTF-8' and import it again"
            ) from None
        offset += len(raw)


def _delimiter(header_line: str) -> str:
    """Comma as specified; a semicolon when the header has no comma (Swiss Excel saves CSV that way)."""
    return ";" if "," not in header_line and ";" in header_line else ","


def _check_header(header: list[str], columns: Sequence[str]) -> list[str]:
    names = [name.strip().lower() for name in header]
    missing = [c for c in columns if c not in names]
    unknown = [n for n in names if n not in columns]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or doubled:
        problems = [f"{label}: {', '.join(values)}" for label, values in
                    (("missing", missing), ("unknown", unknown), ("twice", doubled)) if values]
        raise Unreadable(f"the header must name the columns {','.join(columns)} ({'; '.join(problems)})")
    return names


def records(raw_lines: Iterable[bytes], columns: Sequence[str]) -> Iterator[tuple[int, list[str], list[str]]]:
    """(row number, header, fields) for every non-blank row."""
    lines = _decode(raw_lines)
    row = 1  # the row being read: a spreadsheet's numbering, whatever line breaks quoted cells hold
    try:
        first = next(lines, None)
        if first is None or not first.strip():
            where = N_("the file is empty") if first is None else "the first row is blank"
            raise Unreadable(f"{where}; the first row must be the header {','.join(columns)}")
        reader = csv.reader(_chain(first, lines), delimiter=_delimiter(first), strict=True)
        header = _check_header(next(reader), columns)
        while True:
            row += 1
            fields = next(reader, None)
            if fields is None:
                return
            if any(field.strip() for field in fields):
                yield row, header, fields
    except Unreadable as exc:
        raise Unreadable(exc.reason, row) from None
    except csv.Error as exc:
        raise Unreadable(f"the CSV is broken here ({exc}); check the quotes in this row", row) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


# What a spreadsheet takes for the start of a formula (OWASP "CSV injection"): a town such as =HYPERLINK(…) that
# arrived through a public request or the register must be read as text in the print shop's spreadsheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(cell: object) -> object:
    """A cell a spreadsheet will show as written: text that it would evaluate gets a leading apostrophe."""
    if isinstance(cell, str) and cell.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell
