"""Checking the member register file before anything is stored (R19, R1, R6; issue 2 item 1)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.domain.register import COLUMNS, RegisterRow, RowError, check_row, validate_rows

HEADER = ",".join(COLUMNS)
GOOD = {
    "member_number": "100001", "uid": "CHE-100.155.212", "name": "Muster AG", "care_of": "",
    "street": "Bahnhofstrasse 1", "po_box": "", "postcode": "3000", "town": "Bern", "language": "de",
    "email": "info@muster.example",
}
ROOT = Path(__file__).resolve().parents[2]


def line(**changes: str) -> str:
    values = GOOD | changes
    return ",".join(values[c] for c in COLUMNS)


def check(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> tuple[list[RegisterRow], list[RowError]]:
    return validate_rows(io.BytesIO("\n".join([header, *lines, ""]).encode(encoding)))


def only_error(*lines: str, **kwargs: str) -> RowError:
    good, errors = check(*lines, **kwargs)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_good_row_is_normalised():
    good, errors = check(line(uid="che100155212", language="DE", email="Info@Muster.Example", name=" Muster AG "))
    assert errors == []
    assert good == [RegisterRow(2, "100001", "CHE-100.155.212", "Muster AG", "", "Bahnhofstrasse 1", "", "3000",
                                "Bern", "de", "info@muster.example")]


def test_r19_uid_with_a_wrong_check_digit_is_reported_with_its_row():
    error = only_error(line(), line(member_number="100002", uid="CHE-123.456.789"))
    assert str(error).startswith("row 3: UID 'CHE-123.456.789' is not valid")
    assert not error.fatal


def test_r19_uid_with_a_right_check_digit_passes_in_printed_form():
    good, errors = check(line(uid="CHE-100.155.212"), line(member_number="2", uid="CHE100155212"))
    assert errors == [] and {row.uid for row in good} == {"CHE-100.155.212"}


def test_r19_missing_uid_is_reported():
    assert only_error(line(uid="")).reason == "UID is missing"


def test_unknown_language_is_reported():
    assert only_error(line(language="rm")).reason == "language 'rm' is not one of de, fr, it, en"


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_r6_the_four_correspondence_languages_pass(language):
    assert check(line(language=language))[1] == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"postcode": ""}, "the postcode is missing"),
        ({"town": ""}, "the town is missing"),
        ({"postcode": "300"}, "postcode '300' is not a 4-digit Swiss postcode"),
        ({"postcode": "30000"}, "postcode '30000' is not a 4-digit Swiss postcode"),
        ({"postcode": "0300"}, "postcode '0300' is not a 4-digit Swiss postcode"),
        ({"street": "", "po_box": ""}, "street or PO box is missing"),
        ({"name": ""}, "the name is missing"),
    ],
)
def test_r1_swiss_address_rules_are_checked(changes, reason):
    error = only_error(line(**changes))
    assert error.row == 2 and error.reason == reason


def test_r1_a_po_box_without_street_is_an_address():
    assert check(line(street="", po_box="Postfach"))[1] == []


def test_duplicate_member_number_names_both_rows():
    error = only_error(line(), line(member_number="100002"), line(uid="CHE-116.281.710"))
    assert str(error) == "row 4: member number '100001' appears twice (first on row 2)"


def test_r19_member_number_has_at_most_20_characters():
    good, errors = check(line(member_number="A" * 20), line(member_number="B" * 21))
    assert [row.member_number for row in good] == ["A" * 20]
    assert [str(e) for e in errors] == [f"row 3: member number '{'B' * 21}' is longer than 20 characters"]


def test_missing_member_number_is_reported_once_per_row_not_as_a_duplicate():
    _, errors = check(line(member_number=""), line(member_number=""))
    assert [str(e) for e in errors] == ["row 2: member number is missing", "row 3: member number is missing"]


def test_bad_email_is_reported_and_empty_email_is_allowed():
    good, errors = check(line(email="info@"), line(member_number="2", email=""))
    assert [row.email for row in good] == [""]
    assert errors[0].row == 2 and errors[0].reason.startswith("e-mail 'info@' is not valid")


def test_every_reason_of_a_row_is_on_its_one_line():
    error = only_error(line(uid="CHE-123.456.789", language="xx", postcode="300"))
    assert error.reason.count(";") == 2
    assert "UID" in error.reason and "language 'xx'" in error.reason and "postcode '300'" in error.reason


def test_too_long_values_are_reported_before_the_database_refuses_them():
    assert only_error(line(town="T" * 101)).reason == "town is longer than 100 characters"


def test_a_line_break_inside_a_cell_is_refused_but_counts_as_one_spreadsheet_row():
    _, errors = check(line(street='"Bahnhofstrasse 1\nHinterhaus"'), line(member_number="2"),
                      line(member_number="3", uid="CHE-1"))
    # Row 2 spans two lines of the file; a spreadsheet still shows it as one row, so the UID error is on row 4.
    assert [(e.row, e.reason.split(" ")[0]) for e in errors] == [(2, "street"), (4, "UID")]


def test_control_characters_are_refused():
    assert check_row(2, GOOD | {"name": "Muster\x00AG"}) == RowError(
        2, "name contains a line break or control character")


def test_blank_lines_are_skipped_but_keep_the_row_numbers():
    _, errors = check(line(), "", line(member_number="2", language="xx"))
    assert [e.row for e in errors] == [4]


def test_a_row_with_too_few_fields_is_reported():
    assert str(only_error("100001,CHE-100.155.212,Muster AG")) == "row 2: has 3 fields, the header has 10"


def test_wrong_header_is_fatal_and_names_what_is_missing():
    error = only_error(line(), header=HEADER.replace("postcode", "zip"))
    assert error.fatal and error.row == 1
    assert "missing: postcode" in error.reason and "unknown: zip" in error.reason


def test_no_header_is_fatal():
    error = only_error(line(), header=line())
    assert error.fatal and error.row == 1


def test_columns_may_come_in_any_order_and_with_semicolons():
    reordered = list(reversed(COLUMNS))
    row = ";".join((GOOD | {"name": "Muster, Söhne AG"})[c] for c in reordered)
    good, errors = check(row, header=";".join(reordered))
    assert errors == [] and good[0].name == "Muster, Söhne AG"


def test_empty_file_is_fatal():
    good, errors = validate_rows(io.BytesIO(b""))
    assert good == [] and errors == [RowError(1, errors[0].reason, fatal=True)]
    assert "empty" in errors[0].reason


def test_header_only_file_has_nothing_to_import():
    assert check() == ([], [])


def test_wrong_encoding_is_fatal_and_names_row_and_byte():
    data = "\n".join([HEADER, line(), line(member_number="2", town="Zürich"), ""]).encode("latin-1")
    good, errors = validate_rows(io.BytesIO(data))
    assert len(errors) == 1 and errors[0].fatal and errors[0].row == 3
    position = data.index(b"\xfc") + 1
    assert f"byte {position} is 0xfc" in errors[0].reason and "UTF-8" in errors[0].reason


def test_a_utf8_byte_order_mark_is_accepted():
    data = b"\xef\xbb\xbf" + "\n".join([HEADER, line(town="Zürich"), ""]).encode()
    good, errors = validate_rows(io.BytesIO(data))
    assert errors == [] and good[0].town == "Zürich"


def test_broken_csv_quotes_are_fatal_with_the_row():
    good, errors = check(line(), 'x,"CHE-100.155.212"junk,Muster AG,,,,3000,Bern,de,', line(member_number="3"))
    assert [(e.row, e.fatal) for e in errors] == [(3, True)]
    assert "CSV is broken" in errors[0].reason


def test_unclosed_quote_at_the_end_is_fatal():
    _, errors = check(line(), '100002,"CHE-100.155.212,Muster AG')
    assert [(e.row, e.fatal) for e in errors] == [(3, True)]


def test_cli_lists_bad_rows_and_exits_1_before_touching_the_database(tmp_path, monkeypatch):
    from core.cli import main

    # An unreachable database: a bad file must be refused before any connection is made.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    from core import config, db

    config.reset()
    db.dispose()
    path = tmp_path / "register.csv"
    path.write_text("\n".join([HEADER, line(), line(member_number="2", uid="CHE-123.456.789"),
                               line(member_number="3", language="xx"), ""]), encoding="utf-8")
    try:
        result = CliRunner().invoke(main, ["members", "import", str(path)])
    finally:
        config.reset()
        db.dispose()
    assert result.exit_code == 1
    assert "row 3: UID 'CHE-123.456.789' is not valid" in result.stderr
    assert "row 4: language 'xx'" in result.stderr
    assert "nothing was imported: 2 bad rows" in result.stderr


def test_bench_register_generator_writes_only_valid_rows(tmp_path):
    out = tmp_path / "register.csv"
    subprocess.run([sys.executable, "-m", "bench.make_register", "300", str(out)], cwd=ROOT, check=True)
    with out.open("rb") as raw:
        good, errors = validate_rows(raw)
    assert errors == [] and len(good) == 300
    assert {row.language for row in good} >= {"de", "fr", "it"}
    assert any(row.po_box for row in good) and any(row.care_of for row in good)


def test_cells_a_spreadsheet_would_evaluate_are_kept_as_text():
    from core.domain.csv_file import spreadsheet_safe

    for formula in ("=1+1", "+41 31", "-2", "@SUM(A1)", "\t=1", " =1", "\uff1d1"):
        assert spreadsheet_safe(formula) == "'" + formula
    assert [spreadsheet_safe(v) for v in ("Bern", "3000", 2, "")] == ["Bern", "3000", 2, ""]
