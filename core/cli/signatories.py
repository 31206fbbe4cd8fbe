"""`backoffice signatories …`: the members' authorised signatories (R16)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from core import clock, db
from core.domain.register import RowError
from core.domain.signatory_rows import COLUMNS, SignatoryRow, validate_rows
from core.domain.signing import AUTHORITIES
from core.members import signatories

IMPORT_HELP = f"""Import authorised signatories from FILE (CSV, UTF-8, header row:
{",".join(COLUMNS)}).

authority is one of {", ".join(AUTHORITIES)}; dates are YYYY-MM-DD or DD.MM.YYYY; valid_from and valid_until may
be empty (no limit), extract_date is the date of the register extract. An entry is matched by member number,
name, authority and valid_from: new ones are added, known ones updated, so importing a file again is safe.
Every row is checked first (the member must be in the register); if any row is bad, nothing is imported unless
--skip-invalid is given."""


@click.group("signatories", help="Authorised signatories from the commercial register.")
def group() -> None:
    pass


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _report_errors(errors: list[RowError], skip_invalid: bool) -> None:
    for error in sorted(errors, key=lambda e: e.row):
        click.echo(str(error), err=True)
    if any(error.fatal for error in errors):
        raise click.ClickException("nothing was imported: the file cannot be read (see the row above)")
    if errors and not skip_invalid:
        raise click.ClickException(
            f"nothing was imported: {_count(len(errors), 'bad row')}. "
            "Correct them, or import the other rows with --skip-invalid."
        )


def _known_rows(session: Session, rows: list[SignatoryRow], errors: list[RowError]) -> list[SignatoryRow]:
    """Drop the rows whose member is not in the register, adding them to the bad rows."""
    unknown = signatories.unknown_members(session, rows)
    errors.extend(unknown)
    bad = {error.row for error in unknown}
    return [row for row in rows if row.row not in bad]


@group.command("import", help=IMPORT_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and list the bad ones.")
@click.option("--source", default=signatories.SOURCE, show_default=True,
              help="Where the entries come from (kept with each entry).")
def import_(file: Path, skip_invalid: bool, source: str) -> None:
    with file.open("rb") as raw:
        rows, errors = validate_rows(raw)
    # One transaction from the member check to the last row: a member cannot vanish in between.
    with db.unit_of_work() as session:
        if not any(error.fatal for error in errors):
            rows = _known_rows(session, rows, errors)
        _report_errors(errors, skip_invalid)
        summary = signatories.import_rows(session, rows, clock.now(), source=source)
    click.echo(f"imported {_count(summary.rows, 'row')}: {summary.created} added, {summary.updated} updated, "
               f"{summary.unchanged} unchanged")
    if errors:
        click.echo(f"skipped {_count(len(errors), 'bad row')} (listed above)")
