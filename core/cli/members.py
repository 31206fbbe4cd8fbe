"""`backoffice members …`: the fund's member register."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from core import clock, db
from core.domain.register import COLUMNS, RegisterRow, RowError, validate_rows
from core.members import members

IMPORT_HELP = f"""Import the member register FILE (CSV, UTF-8, header row:
{",".join(COLUMNS)}).

Members are matched by member number: new ones are created, known ones updated. Every member without a login
or a usable code gets the connect invitation letter (R20). Every row is checked first; if any row is bad,
nothing is imported unless --skip-invalid is given."""


@click.group("members", help="The member register: import it from the fund's CSV file.")
def group() -> None:
    pass


def _read(path: Path) -> tuple[list[RegisterRow], list[RowError]]:
    with path.open("rb") as raw:
        return validate_rows(raw)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _report_errors(errors: list[RowError], skip_invalid: bool) -> None:
    for error in errors:
        click.echo(str(error), err=True)
    if any(error.fatal for error in errors):
        raise click.ClickException("nothing was imported: the file cannot be read (see the row above)")
    if errors and not skip_invalid:
        raise click.ClickException(
            f"nothing was imported: {_count(len(errors), 'bad row')}. "
            "Correct them, or import the other rows with --skip-invalid."
        )


def _summary_line(summary: members.ImportSummary) -> str:
    line = (f"imported {_count(summary.rows, 'row')}: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged; {_count(summary.invitations, 'invitation letter')} queued")
    if summary.readdressed:
        line += f" ({summary.readdressed} for a changed address, replacing a letter not yet printed)"
    return line


def _reason(error: BaseException | None) -> str:
    """The database's own first line (not SQLAlchemy's statement dump), short enough for a terminal."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0][:200]}" if lines else type(original).__name__


class _Lines:
    """Progress for a log rather than a terminal: one line on stderr per tenth of the rows, and at the end."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.step = total, 0, max(1, total // 10)
        self.next = self.step

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, rows: int) -> None:
        self.done += rows
        if self.done >= self.next or self.done == self.total:
            self.next = (self.done // self.step + 1) * self.step
            click.echo(f"importing: {self.done} of {self.total} rows ({100 * self.done // self.total} %)", err=True)


def _progress(rows: int, chunk_size: int) -> Any:
    """A bar on a terminal; periodic lines when stderr goes to a file or a pipe; nothing for a single chunk."""
    if rows <= chunk_size:
        return nullcontext(None)
    if sys.stderr.isatty():
        return click.progressbar(length=rows, label="importing", file=sys.stderr, show_pos=True, show_eta=True)
    return _Lines(rows)


@group.command("import", help=IMPORT_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and list the bad ones.")
@click.option("--chunk-size", type=click.IntRange(1, 5000), default=members.DEFAULT_CHUNK, show_default=True,
              help="Rows per transaction.")
@click.option("--no-invitations", is_flag=True, help="Update the register only; queue no invitation letters.")
def import_(file: Path, skip_invalid: bool, chunk_size: int, no_invitations: bool) -> None:
    rows, errors = _read(file)
    _report_errors(errors, skip_invalid)
    with _progress(len(rows), chunk_size) as bar:
        try:
            summary = members.import_register(
                db.unit_of_work, rows, clock.now(), chunk_size=chunk_size,
                progress=bar.update if bar is not None else None, invite=not no_invitations,
            )
        except members.ImportInterrupted as exc:
            click.echo(_summary_line(exc.done), err=True)
            raise click.ClickException(
                f"{exc} ({_reason(exc.__cause__)}); the rows before it are saved. "
                "Importing the same file again is safe."
            ) from exc
    click.echo(_summary_line(summary))
    if errors:
        click.echo(f"skipped {_count(len(errors), 'bad row')} (listed above)")
