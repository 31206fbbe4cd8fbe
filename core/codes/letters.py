"""Letters (R1, R2, R6, R15, R17, R20): render letters to PDF, list them, and gather them into print batches.
Most carry a code; a confirmation (R17) carries none.

Rendering draws the code: its plaintext exists only in memory while the PDF is drawn and then on paper; the
database gets its HMAC (R2). The PDF is written to a temporary file and renamed to its final path before the
transaction that records the hash commits. A worker killed between the two leaves the letter pending, and the
retry draws a new code and overwrites the same path: still exactly one letter and one valid code.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import structlog
from sqlalchemy import BigInteger, Row, String, column, select, update, values
from sqlalchemy.orm import Session

from core import audit, clock, config, db
from core.desk import rejections, stale_logins
from core.domain import codes
from core.domain.states import CodeStatus, LetterStatus
from core.models import Letter, Member, PrintBatch, RegistrationCode
from letters import batches, geometry, render
from letters.compose import CODELESS_KINDS, Fund, LetterData, build_spec

log = structlog.get_logger()

DEFAULT_BATCH_SIZE = 1000  # letters per print file: one tray run at a print shop, still quick to reprint


@dataclass(frozen=True)
class RenderOutcome:
    rendered: list[int]
    cancelled: list[int]
    skipped: list[int]  # already rendered, printed or cancelled
    failed: list[int] = field(default_factory=list)  # could not be drawn; left pending


@dataclass(frozen=True)
class LetterRow:
    id: int
    reference: str
    member_number: str
    kind: str
    language: str
    status: str
    postcode: str
    letter_date: date
    pdf: str
    batch_id: int | None


@dataclass(frozen=True)
class BatchOutcome:
    id: int
    letters: int
    pages: int
    pdf_path: str
    manifest_path: str


def fund(settings: config.Settings, language: str = "") -> Fund:
    """The sender as a letter in `language` names it (FUND_NAME_FR, FUND_ADDRESS_FR, …, else FUND_NAME and
    FUND_ADDRESS)."""
    return Fund(settings.fund_name_in(language), settings.fund_address_in(language), settings.fund_contact_email,
                settings.fund_contact_phone, settings.public_base_url)


def funds(settings: config.Settings) -> dict[str, Fund]:
    """The sender in every letter language, made once per chunk: a Fund is part of the letters' template cache key."""
    return {language: fund(settings, language) for language in config.LANGUAGES}


def envelope_model(settings: config.Settings) -> geometry.EnvelopeModel:
    """ENVELOPE_MODEL names a known model; LETTER_WINDOW="x,y,w,h" (mm) describes stock that is not listed."""
    return geometry.envelope(settings.envelope_model, os.environ.get("LETTER_WINDOW") or None)


def letter_path(letters_dir: Path, letter_date: date, reference: str) -> Path:
    """Derived from the letter alone, so a retry writes over the same file instead of leaving a second one."""
    return letters_dir / f"{letter_date:%Y}" / f"{letter_date:%m}" / f"{reference}.pdf"


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _load_for_render(session: Session, letter_ids: Sequence[int]) -> Sequence[Row]:
    """The chunk's letters with what drawing needs, locked so that a duplicated task waits and then skips."""
    query = (
        select(Letter.id, Letter.reference, Letter.member_id, Letter.kind, Letter.language, Letter.address,
               Letter.letter_date, Letter.status, Letter.code_id, Member.member_number,
               Member.name.label("member_name"), RegistrationCode.status.label("code_status"),
               RegistrationCode.expires_on)
        .join(Member, Member.id == Letter.member_id)
        .outerjoin(RegistrationCode, RegistrationCode.id == Letter.code_id)
        .where(Letter.id.in_(letter_ids))
        .order_by(Letter.id)
    )
    if db.is_postgres(session):
        return session.execute(query.with_for_update(of=Letter)).all()
    # SQLite has no row locks: touching the rows takes the database's write lock for this transaction.
    session.execute(update(Letter).where(Letter.id.in_(letter_ids)).values(status=Letter.status))
    return session.execute(query).all()


def _logins_named(session: Session, row: Row) -> str:
    """A confirmation of deactivated logins (R17) lists them by name, as the approving case recorded them."""
    if row.kind != "logins_deactivated":
        return ""
    return ", ".join(stale_logins.letter_names(session, row.id))


def _refusal(session: Session, row: Row) -> tuple[str, str, str]:
    """A refusal (request_rejected, R16/R17): the kind of request, whom it was about and the reason, as the
    rejecting case recorded them."""
    if row.kind != "request_rejected":
        return "", "", ""
    found = rejections.letter_facts(session, row.id)
    return found.topic, found.names, found.reason


def _renderable(row: Row, today: date) -> bool:
    """A code letter is worth sending while its code is usable; a letter without a code (a confirmation) always."""
    if row.code_id is None:
        return row.kind in CODELESS_KINDS
    return row.code_status == CodeStatus.ISSUED and row.expires_on is not None and today <= row.expires_on


@dataclass
class _Drawn:
    ids: list[int] = field(default_factory=list)
    code_rows: list[tuple[int, str]] = field(default_factory=list)  # (code id, HMAC)
    letter_rows: list[tuple[int, str]] = field(default_factory=list)  # (letter id, PDF path)
    entries: list[audit.Entry] = field(default_factory=list)
    folders: set[Path] = field(default_factory=set)  # made in this chunk: one mkdir per month, not per letter


def _draw_one(row: Row, sender: Fund, model: geometry.EnvelopeModel, settings: config.Settings,
              drawn: _Drawn, logins: str = "", refusal: tuple[str, str, str] = ("", "", "")) -> None:
    """Draw the code (if the letter carries one), write the PDF under its final name, and note what the
    transaction must record."""
    code = codes.generate() if row.code_id is not None else ""
    topic, names, reason = refusal
    spec = build_spec(sender, LetterData(row.kind, row.language, row.address, row.letter_date, row.expires_on,
                                         row.reference, row.member_number, codes.printed(code) if code else "",
                                         row.member_name, logins, topic, names, reason))
    pdf = render.render(spec, model, qr_code=settings.letter_qr_code)
    path = letter_path(settings.letters_dir, row.letter_date, row.reference)
    if path.parent not in drawn.folders:
        path.parent.mkdir(parents=True, exist_ok=True)
        drawn.folders.add(path.parent)
    _write_atomically(path, pdf)
    if code:
        drawn.code_rows.append((row.code_id, codes.keyed_hash(settings.code_hmac_secret, row.member_number, code)))
    drawn.ids.append(row.id)
    drawn.letter_rows.append((row.id, str(path)))
    drawn.entries.append(audit.Entry("system", "letter.rendered", row.member_id, f"letter:{row.id}",
                                     {"kind": row.kind, "language": row.language, "reference": row.reference}))


def _record_drawn(session: Session, drawn: _Drawn, now: datetime) -> None:
    """On PostgreSQL one UPDATE … FROM (VALUES …) per table for the whole chunk, one round trip each; SQLite
    cannot name a VALUES list's columns, so it gets an executemany (in-process, no round trips to save)."""
    if db.is_postgres(session):
        paths = values(column("id", BigInteger), column("pdf_path", String), name="drawn_letter").data(
            drawn.letter_rows)
        plain = {"synchronize_session": False}
        if drawn.code_rows:  # a chunk of confirmations only has no code to record
            hashes = values(column("id", BigInteger), column("code_hash", String), name="drawn_code").data(
                drawn.code_rows)
            session.execute(update(RegistrationCode).where(RegistrationCode.id == hashes.c.id)
                            .values(code_hash=hashes.c.code_hash).execution_options(**plain))
        session.execute(update(Letter).where(Letter.id == paths.c.id)
                        .values(status=LetterStatus.RENDERED, pdf_path=paths.c.pdf_path, rendered_at=now)
                        .execution_options(**plain))
    else:
        if drawn.code_rows:
            session.execute(update(RegistrationCode), [{"id": i, "code_hash": h} for i, h in drawn.code_rows])
        session.execute(update(Letter), [{"id": i, "status": LetterStatus.RENDERED, "pdf_path": p, "rendered_at": now}
                                         for i, p in drawn.letter_rows])
    audit.record_many(session, drawn.entries, now)


def render_letters(session: Session, letter_ids: Sequence[int], now: datetime) -> RenderOutcome:
    """Draw each pending letter's code, write its PDF, store the code's HMAC and mark the letter rendered, for the
    whole chunk in the caller's one transaction. Letters already rendered are left alone; a pending letter whose
    code is no longer usable is cancelled; a letter that cannot be drawn (a broken address) stays pending and is
    logged, without holding up the rest of its chunk."""
    settings = config.get()
    senders, model = funds(settings), envelope_model(settings)
    rows = _load_for_render(session, list(letter_ids))
    today = clock.today_in_zurich(now)
    pending = [row for row in rows if row.status == LetterStatus.PENDING]
    cancelled = [row.id for row in pending if not _renderable(row, today)]
    drawn, failed = _Drawn(), []
    for row in pending:
        if not _renderable(row, today):
            continue
        try:
            sender = senders.get(row.language) or fund(settings, row.language)
            _draw_one(row, sender, model, settings, drawn, _logins_named(session, row), _refusal(session, row))
        except ValueError as exc:
            log.error("letter.render_failed", letter_id=row.id, error=str(exc))
            failed.append(row.id)
    if drawn.ids:
        _record_drawn(session, drawn, now)
    if cancelled:
        session.execute(update(Letter).where(Letter.id.in_(cancelled)).values(status=LetterStatus.CANCELLED))
    return RenderOutcome(drawn.ids, cancelled, [row.id for row in rows if row.status != LetterStatus.PENDING], failed)


def pending_ids(session: Session, limit: int | None = None) -> list[int]:
    query = select(Letter.id).where(Letter.status == LetterStatus.PENDING).order_by(Letter.id)
    return list(session.scalars(query.limit(limit) if limit else query))


def list_letters(session: Session, status: str | None = None, member_number: str | None = None) -> Iterator[LetterRow]:
    """Every letter, oldest first, optionally only one status or one member's."""
    query = (
        select(Letter.id, Letter.reference, Member.member_number, Letter.kind, Letter.language, Letter.status,
               Letter.postcode, Letter.letter_date, Letter.pdf_path, Letter.batch_id)
        .join(Member, Member.id == Letter.member_id)
        .order_by(Letter.id)
    )
    if status:
        query = query.where(Letter.status == status)
    if member_number:
        query = query.where(Member.member_number == member_number)
    for row in session.execute(query.execution_options(yield_per=1000)):
        yield LetterRow(row.id, row.reference, row.member_number, row.kind, row.language, row.status, row.postcode,
                        row.letter_date, row.pdf_path, row.batch_id)


def _printable(session: Session, limit: int) -> Sequence[Row]:
    query = (
        select(Letter.id, Letter.reference, Letter.member_id, Letter.kind, Letter.language, Letter.postcode,
               Letter.address, Letter.pdf_path, Letter.code_id, Member.member_number,
               RegistrationCode.status.label("code_status"), RegistrationCode.expires_on)
        .join(Member, Member.id == Letter.member_id)
        .outerjoin(RegistrationCode, RegistrationCode.id == Letter.code_id)
        .where(Letter.status == LetterStatus.RENDERED, Letter.batch_id.is_(None))
        .order_by(Letter.postcode, Letter.id)
        .limit(limit)
    )
    if db.is_postgres(session):
        # Two operators running `letters batch` at once must not print a letter twice.
        query = query.with_for_update(of=Letter, skip_locked=True)
    return session.execute(query).all()


def make_print_batches(session: Session, now: datetime, batch_size: int = DEFAULT_BATCH_SIZE,
                       processes: int | None = None) -> list[BatchOutcome]:
    """Rendered, unprinted letters sorted by postcode into merged PDFs with a CSV manifest each; the letters are
    marked printed. A letter whose code was voided or has expired meanwhile is cancelled instead of printed.

    Merging a batch's PDFs is most of the work and needs no database: when there is more than one batch, up to
    `processes` batches (default: one per CPU) are merged at once in other processes while this one picks the next
    batch's letters. Everything is recorded in the caller's one transaction, as before; a merge that fails fails
    the whole call and nothing is marked printed."""
    if batch_size < 1:
        raise ValueError("a batch holds at least one letter")
    settings = config.get()
    today = clock.today_in_zurich(now)
    out_dir = settings.letters_dir / "batches"
    out_dir.mkdir(parents=True, exist_ok=True)
    made: list[BatchOutcome] = []
    in_flight: deque[tuple[Future[list[int]], _Planned]] = deque()
    width = max(1, processes if processes is not None else (os.cpu_count() or 1))
    if multiprocessing.current_process().daemon:  # a Celery pool process may not start processes of its own
        width = 1
    with ExitStack() as stack:
        pool: ProcessPoolExecutor | None = None
        # One batch's rows at a time (and those of the batches being merged): memory stays flat in the mailing's
        # size. Each query continues in postcode order.
        while rows := _printable(session, batch_size):
            stale = [row.id for row in rows if not _renderable(row, today)]
            if stale:
                session.execute(update(Letter).where(Letter.id.in_(stale)).values(status=LetterStatus.CANCELLED))
            if not (printable := [row for row in rows if _renderable(row, today)]):
                continue
            planned = _plan_batch(session, printable, out_dir, now)
            if pool is None and width > 1 and len(rows) == batch_size:  # a full batch: more are likely to follow
                pool = stack.enter_context(ProcessPoolExecutor(width, mp_context=_merging_context()))
            if pool is None:
                made.append(_finish_batch(session, planned, batches.merge(*_merge_arguments(planned, now)), now))
                continue
            # batches.merge itself, not a function of this module: a pool process then imports pikepdf, not the
            # database layer, and starts in a tenth of the time.
            in_flight.append((pool.submit(batches.merge, *_merge_arguments(planned, now)), planned))
            while len(in_flight) > width:
                future, done = in_flight.popleft()
                made.append(_finish_batch(session, done, future.result(), now))
        while in_flight:
            future, done = in_flight.popleft()
            made.append(_finish_batch(session, done, future.result(), now))
    return made


def _merging_context() -> multiprocessing.context.BaseContext:
    """Pool processes forked from a server that has imported only the merging code: not forked from this process,
    whose database connections a child must not share, and not spawned, which would import the whole command
    line program (a second per process) before merging a page."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["letters.batches"])
    return context


@dataclass(frozen=True)
class _Planned:
    """A batch whose letters are chosen and marked printed; its PDF and manifest are still to be written."""

    id: int
    stem: Path
    pdfs: list[str]
    languages: list[str]
    manifest: list[batches.ManifestLine]  # pages filled in once merged


def _plan_batch(session: Session, rows: Sequence[Row], out_dir: Path, now: datetime) -> _Planned:
    batch = PrintBatch(created_at=now, letters=len(rows), pdf_path="", manifest_path="")
    session.add(batch)
    session.flush()  # the id names the files
    stem = out_dir / f"batch-{now:%Y%m%d}-{batch.id:06d}"
    batch.pdf_path, batch.manifest_path = str(stem.with_suffix(".pdf")), str(stem.with_suffix(".csv"))
    ids = [row.id for row in rows]
    session.execute(update(Letter).where(Letter.id.in_(ids)).values(status=LetterStatus.PRINTED, batch_id=batch.id,
                                                                       printed_at=now))
    return _Planned(batch.id, stem, [row.pdf_path for row in rows], [row.language for row in rows], [
        batches.ManifestLine(row.reference, row.member_number, row.kind, row.language, row.postcode,
                             batches.town(row.address, row.postcode), 0)
        for row in rows
    ])


def _merge_arguments(planned: _Planned, now: datetime) -> tuple[list[Path], Path, list[str], datetime]:
    return [Path(pdf) for pdf in planned.pdfs], planned.stem.with_suffix(".pdf"), planned.languages, now


def _finish_batch(session: Session, planned: _Planned, pages: list[int], now: datetime) -> BatchOutcome:
    batches.write_manifest(planned.stem.with_suffix(".csv"), [
        replace(line, pages=count) for line, count in zip(planned.manifest, pages, strict=True)])
    audit.record(session, audit.Entry("system", "letters.batched", None, f"batch:{planned.id}",
                                      {"letters": len(pages), "pages": sum(pages)}), now)
    return BatchOutcome(planned.id, len(pages), sum(pages), str(planned.stem.with_suffix(".pdf")),
                        str(planned.stem.with_suffix(".csv")))
