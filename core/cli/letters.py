"""`backoffice letters …`: the code letters (R1, R6, R20): list them, render pending ones, make print batches."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

import click

from core import clock, db
from core.codes import codes as code_service
from core.codes import letters

STATUSES = ("pending", "rendered", "printed", "returned", "cancelled")

LIST_HELP = """List letters, oldest first.

With --json, one JSON object per line and letter: id, reference, member_number, kind, language, status, pdf (the
PDF's path, null while pending) and batch_id."""

RENDER_HELP = """Render every pending letter now, in this process, in chunks of --chunk
letters (one transaction each). The worker does the same on its own; this is for operators and benchmarks.
Letters already rendered are skipped, so running it twice, or beside the worker, is safe."""

BATCH_HELP = """Put every rendered letter that is not yet printed into print batches: one merged
PDF per batch, sorted by postcode, and a CSV manifest beside it (reference, member_number, kind, language, postcode,
town, pages) under LETTERS_DIR/batches/. The letters are then marked printed. Letters whose code was voided or has
expired meanwhile are cancelled instead."""


@click.group("letters", help="""Postal letters carrying registration codes (invitations and new codes).

A letter is pending until the worker renders its PDF (which draws the code), rendered until it goes into a print
batch, then printed. The code itself is never shown: it exists only in the PDF.""")
def group() -> None:
    pass


@group.command("list", short_help="List letters with their state and PDF path.", help=LIST_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of a table.")
@click.option("--status", type=click.Choice(STATUSES), help="Only letters in this state.")
@click.option("--member", "member_number", metavar="NUMBER", help="Only this member's letters.")
def list_letters(as_json: bool, status: str | None, member_number: str | None) -> None:
    with db.unit_of_work() as session:
        rows = letters.list_letters(session, status=status, member_number=member_number)
        if as_json:
            for row in rows:
                click.echo(json.dumps({"id": row.id, "reference": row.reference, "member_number": row.member_number,
                                       "kind": row.kind, "language": row.language, "status": row.status,
                                       "pdf": row.pdf or None, "batch_id": row.batch_id}, ensure_ascii=False))
            return
        _table(rows)


_ROW = "{:>7}  {:<12}  {:<20}  {:<10}  {:<4}  {:<9}  {:<10}  {}"


def _table(rows: Iterable[letters.LetterRow]) -> None:
    count = 0
    for row in rows:
        if count == 0:
            click.echo(_ROW.format("id", "reference", "member", "kind", "lang", "status", "date", "pdf"))
        count += 1
        click.echo(_ROW.format(row.id, row.reference, row.member_number, row.kind, row.language, row.status,
                               row.letter_date.isoformat(), row.pdf or "-"))
    click.echo(f"{count} letter{'' if count == 1 else 's'}" if count else "no letters")


@group.command("render-pending", short_help="Render pending letters now, without the worker.", help=RENDER_HELP)
@click.option("--chunk", default=code_service.RENDER_CHUNK, show_default=True, type=click.IntRange(1, 5000),
              help="Letters per transaction.")
def render_pending(chunk: int) -> None:
    with db.unit_of_work() as session:
        ids = letters.pending_ids(session)
    if not ids:
        click.echo("no pending letters")
        return
    chunks = [ids[start : start + chunk] for start in range(0, len(ids), chunk)]
    rendered = cancelled = 0
    with click.progressbar(chunks, label=f"rendering {len(ids)} letters", file=sys.stderr) as bar:
        for part in bar:
            with db.unit_of_work() as session:
                outcome = letters.render_letters(session, part, clock.now())
            rendered += len(outcome.rendered)
            cancelled += len(outcome.cancelled)
    click.echo(f"rendered {rendered} letter{'' if rendered == 1 else 's'}"
               + (f", cancelled {cancelled} whose code is no longer valid" if cancelled else ""))


@group.command("batch", short_help="Merge unprinted letters into print batches by postcode.", help=BATCH_HELP)
@click.option("--size", default=letters.DEFAULT_BATCH_SIZE, show_default=True, type=click.IntRange(1, 100_000),
              help="Letters per batch.")
def batch(size: int) -> None:
    with db.unit_of_work() as session:
        made = letters.make_print_batches(session, clock.now(), batch_size=size)
    if not made:
        click.echo("no rendered letters are waiting to be printed")
        return
    for outcome in made:
        click.echo(f"batch {outcome.id}: {outcome.letters} letters, {outcome.pages} pages\n"
                   f"  pdf:      {outcome.pdf_path}\n  manifest: {outcome.manifest_path}")
    total = sum(outcome.letters for outcome in made)
    click.echo(f"{len(made)} batch{'' if len(made) == 1 else 'es'}, {total} letters marked printed")
