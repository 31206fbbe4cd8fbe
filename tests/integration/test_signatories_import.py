"""R16: `backoffice signatories import FILE.csv` on real PostgreSQL, with the member import's bad-row reporting
(nothing is imported when a row is bad, unless --skip-invalid), and the staff pages to add and end signatories."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, log_in, make_app, make_member

from core import db
from core.cli import main
from core.domain.signatory_rows import COLUMNS
from core.models import AuditEvent, Signatory

HEADER = ",".join(COLUMNS)


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "signatories.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(pg: str, path: Path, *options: str):
    return CliRunner().invoke(main, ["signatories", "import", str(path), *options], env={"DATABASE_URL": pg})


def count(*where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Signatory).where(*where)) or 0


@pytest.fixture
def members(pg):
    return make_member("100200"), make_member("100300", name="Rossi SA")


def test_r16_import_adds_entries_and_a_second_run_changes_nothing(pg, members, tmp_path):
    path = write(tmp_path,
                 "100200,Hans Muster,Präsident des Verwaltungsrates,sole,2019-05-01,,2026-01-05",
                 "100200,Eva Muster,Geschäftsführerin,collective_two,01.02.2020,31.12.2025,05.01.2026",
                 "100300,Carla Rossi,Procuratrice,sole_procuration,,,2026-01-05")
    first = run(pg, path)
    assert first.exit_code == 0, first.output
    assert "imported 3 rows: 3 added, 0 updated, 0 unchanged" in first.output
    with db.unit_of_work() as s:
        eva = s.scalars(select(Signatory).where(Signatory.name == "Eva Muster")).one()
        assert (eva.authority, eva.valid_from, eva.valid_until, eva.extract_date, eva.source) == (
            "collective_two", date(2020, 2, 1), date(2025, 12, 31), date(2026, 1, 5), "commercial register")
        assert s.scalar(select(func.count()).where(AuditEvent.action == "signatory.added")) == 3
    again = run(pg, path)
    assert "imported 3 rows: 0 added, 0 updated, 3 unchanged" in again.output
    assert count() == 3


def test_r16_a_newer_extract_updates_the_end_of_an_authority(pg, members, tmp_path):
    run(pg, write(tmp_path, "100200,Hans Muster,VR,sole,2019-05-01,,2026-01-05"))
    result = run(pg, write(tmp_path, "100200,Hans Muster,VR,sole,2019-05-01,2026-02-28,2026-03-02"))
    assert "0 added, 1 updated" in result.output
    with db.unit_of_work() as s:
        hans = s.scalars(select(Signatory)).one()
        assert (hans.valid_until, hans.extract_date) == (date(2026, 2, 28), date(2026, 3, 2))


def test_r16_bad_rows_are_reported_by_row_number_and_nothing_is_imported(pg, members, tmp_path):
    path = write(tmp_path,
                 "100200,Hans Muster,VR,sole,2019-05-01,,2026-01-05",
                 "100200,Eva Muster,GF,kollektiv,2020-02-01,,2026-01-05",
                 "999999,Otto Fremd,VR,sole,,,2026-01-05",
                 "100300,Carla Rossi,,sole_procuration,2026-05-01,2026-04-01,",
                 "100200,hans  muster,VR,sole,2019-05-01,,2026-01-05")
    result = run(pg, path)
    assert result.exit_code == 1
    assert ("row 3: authority 'kollektiv' is not one of sole, collective_two, sole_procuration, "
            "collective_procuration, none") in result.output
    assert "row 4: member number '999999' is not in the member register" in result.output
    assert "row 5: extract_date is missing; valid_until is before valid_from" in result.output
    assert "row 6: repeats row 2" in result.output
    assert "nothing was imported: 4 bad rows" in result.output
    assert count() == 0


def test_r16_skip_invalid_imports_the_good_rows(pg, members, tmp_path):
    path = write(tmp_path, "100200,Hans Muster,VR,sole,,,2026-01-05", "100200,,VR,sole,,,2026-01-05")
    result = run(pg, path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "row 3: name is missing" in result.output
    assert "imported 1 row: 1 added" in result.output and "skipped 1 bad row" in result.output
    assert count() == 1


def test_r16_an_unreadable_file_imports_nothing_even_with_skip_invalid(pg, members, tmp_path):
    path = write(tmp_path, "100200,Hans Muster,VR,sole,,,2026-01-05", header="member,name")
    result = run(pg, path, "--skip-invalid")
    assert result.exit_code == 1
    assert "row 1: the header must name the columns" in result.output
    assert count() == 0


def test_r16_staff_add_and_end_a_signatory(pg, members):
    app = make_app()
    client = english_client(app)
    log_in(client, create_staff())
    page = client.get("/staff/registrations/100200/signatories")
    assert page.status_code == 200 and "No signatories on record yet." in html.unescape(page.data.decode())
    missing = client.post("/staff/registrations/100200/signatories",
                          data={"csrf_token": csrf(page.data), "authority": "sole", "source": "commercial register"})
    text = html.unescape(missing.data.decode())
    assert missing.status_code == 422
    assert "Enter the person's name as in the commercial register" in text
    assert "Enter the date of the register extract" in text
    added = client.post("/staff/registrations/100200/signatories",
                        data={"csrf_token": csrf(page.data), "name": "Hans Muster", "function": "VR",
                              "authority": "collective_two", "valid_from": "01.05.2019",
                              "source": "commercial register", "extract_date": "2026-01-05"})
    assert added.status_code == 303
    with db.unit_of_work() as s:
        hans = s.scalars(select(Signatory)).one()
    listed = html.unescape(client.get("/staff/registrations/100200/signatories").data.decode())
    assert "Collective signature by two" in listed and "valid today" in listed
    ended = client.post(f"/staff/registrations/100200/signatories/{hans.id}/end",
                        data={"csrf_token": csrf(page.data), "last_day": "2026-02-28"})
    assert ended.status_code == 303
    assert count(Signatory.valid_until == date(2026, 2, 28)) == 1
    foreign = client.post(f"/staff/registrations/100300/signatories/{hans.id}/end",
                          data={"csrf_token": csrf(page.data), "last_day": "2026-02-28"})
    assert foreign.status_code == 422 and "No such signatory for this member" in html.unescape(
        foreign.data.decode())
