"""Retention (Swiss FADP, Art. 6 para. 4: personal data is destroyed or anonymised once no longer needed).

What goes, and when (days, configurable by environment variable; the defaults are the fund's policy):

| what                                                   | after                           | variable                  |
|--------------------------------------------------------|---------------------------------|---------------------------|
| requests and staff cases, with their history           | 730 days after closing          | RETENTION_REQUEST_DAYS    |
| the hash of a used, voided or expired registration code| 365 days after use/void/expiry  | RETENTION_CODE_DAYS       |
| a printed letter's PDF (the letter row stays)          | 365 days after printing         | RETENTION_LETTER_DAYS     |
| print batch files (PDF and address manifest)           | 365 days after the batch        | RETENTION_LETTER_DAYS     |
| audit events (R18)                                     | never, unless set; at least 365 | RETENTION_AUDIT_DAYS      |
| published outbox rows and resolved parked tasks        | 30 days                         | RETENTION_OPERATIONS_DAYS |
| failed logins and wrong codes (IP addresses)           | 90 days                         | RETENTION_ATTEMPT_DAYS    |

Every rule is one statement over an indexed time column, so two runs at once do the work once and a second run
finds nothing. Files are removed before their paths are cleared: a run that fails half-way leaves no file that
the database has forgotten.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from core import audit, clock, db
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, ParkedStatus, RequestStatus
from core.models import (
    AuditCheckpoint,
    AuditEvent,
    AuthFailure,
    Case,
    CodeAttempt,
    History,
    Letter,
    OutboxMessage,
    ParkedTask,
    PrintBatch,
    RegistrationCode,
    Request,
)

log = structlog.get_logger()
AUDIT_MINIMUM_DAYS = 365  # R18: audit events are kept at least one year


@dataclass(frozen=True)
class Periods:
    requests: int = 730
    codes: int = 365
    letters: int = 365
    audit: int | None = None  # None: audit events are never removed
    operations: int = 30
    attempts: int = 90

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Periods:
        env = os.environ if env is None else env
        audit_days = env.get("RETENTION_AUDIT_DAYS", "").strip()
        return cls(
            requests=int(env.get("RETENTION_REQUEST_DAYS", cls.requests)),
            codes=int(env.get("RETENTION_CODE_DAYS", cls.codes)),
            letters=int(env.get("RETENTION_LETTER_DAYS", cls.letters)),
            audit=int(audit_days) if audit_days else None,
            operations=int(env.get("RETENTION_OPERATIONS_DAYS", cls.operations)),
            attempts=int(env.get("RETENTION_ATTEMPT_DAYS", cls.attempts)),
        )

    def problems(self) -> list[str]:
        found = [f"{name} must be at least 1 day" for name, days in self._periods().items() if days < 1]
        if self.audit is not None and self.audit < AUDIT_MINIMUM_DAYS:
            found.append(f"RETENTION_AUDIT_DAYS is {self.audit}: audit events are kept at least "
                         f"{AUDIT_MINIMUM_DAYS} days (R18), so {AUDIT_MINIMUM_DAYS} is used")
        return found

    def _periods(self) -> dict[str, int]:
        return {"RETENTION_REQUEST_DAYS": self.requests, "RETENTION_CODE_DAYS": self.codes,
                "RETENTION_LETTER_DAYS": self.letters, "RETENTION_OPERATIONS_DAYS": self.operations,
                "RETENTION_ATTEMPT_DAYS": self.attempts}

    def audit_days(self) -> int | None:
        return None if self.audit is None else max(self.audit, AUDIT_MINIMUM_DAYS)


@dataclass(frozen=True)
class Rule:
    label: str
    run: Callable[[Session, datetime, datetime, bool], int]  # (session, cutoff, now, dry_run) -> rows
    days: Callable[[Periods], int | None]


def _count(session: Session, entity: type, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(entity).where(*where)) or 0


# --- requests and cases ---------------------------------------------------------------------------------------

def _closed_cases(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [Case.status != CaseStatus.OPEN, Case.decided_at < cutoff]


def _cases(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    if dry_run:
        return _count(session, Case, *_closed_cases(cutoff))
    ids = select(Case.id).where(*_closed_cases(cutoff)).scalar_subquery()
    session.execute(delete(History).where(History.case_id.in_(ids)))
    return db.affected(session.execute(delete(Case).where(*_closed_cases(cutoff))))


def _closed_requests(cutoff: datetime) -> list[ColumnElement[bool]]:
    # a request whose case is still open (or younger than the cutoff) stays with it
    return [Request.status == RequestStatus.COMPLETED, Request.decided_at < cutoff,
            ~exists().where(Case.request_id == Request.id)]


def _requests(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    if dry_run:
        # the cases that go in the same run no longer hold their requests back
        pending = [Request.status == RequestStatus.COMPLETED, Request.decided_at < cutoff,
                   ~exists().where(Case.request_id == Request.id,
                                   or_(Case.status == CaseStatus.OPEN, Case.decided_at >= cutoff))]
        return _count(session, Request, *pending)
    ids = select(Request.id).where(*_closed_requests(cutoff)).scalar_subquery()
    session.execute(delete(History).where(History.request_id.in_(ids)))
    session.execute(update(RegistrationCode).where(RegistrationCode.request_id.in_(ids)).values(request_id=None))
    return db.affected(session.execute(delete(Request).where(Request.id.in_(ids))))


# --- codes, letters, print batches ----------------------------------------------------------------------------

def _dead_codes(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [RegistrationCode.code_hash.is_not(None), or_(
        and_(RegistrationCode.status == CodeStatus.USED, RegistrationCode.used_at < cutoff),
        and_(RegistrationCode.status == CodeStatus.VOIDED, RegistrationCode.voided_at < cutoff),
        and_(RegistrationCode.status == CodeStatus.ISSUED, RegistrationCode.expires_on < clock.today_in_zurich(cutoff)),
    )]


def _codes(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    if dry_run:
        return _count(session, RegistrationCode, *_dead_codes(cutoff))
    statement = update(RegistrationCode).where(*_dead_codes(cutoff)).values(code_hash=None)
    return db.affected(session.execute(statement))


def _printed_letters(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [Letter.status.in_((LetterStatus.PRINTED, LetterStatus.RETURNED)), Letter.printed_at < cutoff,
            Letter.pdf_path != ""]


def _letters(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    rows = session.execute(select(Letter.id, Letter.pdf_path).where(*_printed_letters(cutoff))).all()
    if dry_run or not rows:
        return len(rows)
    _remove_files(path for _id, path in rows)
    session.execute(update(Letter).where(Letter.id.in_([id_ for id_, _path in rows])).values(pdf_path=""))
    return len(rows)


def _old_batches(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [PrintBatch.created_at < cutoff, or_(PrintBatch.pdf_path != "", PrintBatch.manifest_path != "")]


def _batches(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    rows = session.execute(select(PrintBatch.id, PrintBatch.pdf_path, PrintBatch.manifest_path)
                           .where(*_old_batches(cutoff))).all()
    if dry_run or not rows:
        return len(rows)
    _remove_files(path for _id, pdf, manifest in rows for path in (pdf, manifest))
    session.execute(update(PrintBatch).where(PrintBatch.id.in_([row[0] for row in rows]))
                    .values(pdf_path="", manifest_path=""))
    return len(rows)


def _remove_files(paths: Iterable[str]) -> None:
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)


# --- audit events ---------------------------------------------------------------------------------------------

def _audit(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    """Remove the oldest events, never the newest one (the chain goes on from it), and keep a checkpoint: the
    hash the first remaining event follows, so `backoffice audit verify` still checks the rest."""
    newest = session.scalar(select(func.max(AuditEvent.id)))
    if newest is None:
        return 0
    last_removed = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.at < cutoff,
                                                                          AuditEvent.id < newest))
    if last_removed is None:
        return 0
    removed = _count(session, AuditEvent, AuditEvent.id <= last_removed)
    if dry_run:
        return removed
    if session.get_bind().dialect.name == "postgresql":
        # The application's role may not delete audit events (migration 0007): the database's own function
        # does, and only those older than a year, with the checkpoint.
        return int(session.scalar(text("SELECT backoffice_audit_prune(:cutoff, :now)"),
                                  {"cutoff": cutoff, "now": now}) or 0)
    first = session.scalars(select(AuditEvent).where(AuditEvent.id > last_removed).order_by(AuditEvent.id)
                            .limit(1)).one()
    session.add(AuditCheckpoint(at=now, first_event_id=first.id, prev_hash=first.prev_hash,
                                removed=removed))
    session.execute(delete(AuditEvent).where(AuditEvent.id <= last_removed))
    return removed


def audit_start(session: Session) -> tuple[int, str]:
    """Where verification of the audit chain starts: (first event id, the hash it must follow)."""
    checkpoint = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if checkpoint is None:
        return 0, audit.GENESIS
    return checkpoint.first_event_id, checkpoint.prev_hash


# --- operations data and attempts -----------------------------------------------------------------------------

def _outbox(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    # a parked task's retry takes its arguments from its outbox row: that row stays while the task is parked
    where = [OutboxMessage.sent_at < cutoff,
             ~exists().where(ParkedTask.task_id == OutboxMessage.key, ParkedTask.status == ParkedStatus.PARKED)]
    if dry_run:
        return _count(session, OutboxMessage, *where)
    return db.affected(session.execute(delete(OutboxMessage).where(*where)))


def _parked(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    where = [ParkedTask.status != ParkedStatus.PARKED, ParkedTask.resolved_at < cutoff]
    if dry_run:
        return _count(session, ParkedTask, *where)
    return db.affected(session.execute(delete(ParkedTask).where(*where)))


def _auth_failures(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    if dry_run:
        return _count(session, AuthFailure, AuthFailure.at < cutoff)
    return db.affected(session.execute(delete(AuthFailure).where(AuthFailure.at < cutoff)))


def _code_attempts(session: Session, cutoff: datetime, now: datetime, dry_run: bool) -> int:
    if dry_run:
        return _count(session, CodeAttempt, CodeAttempt.at < cutoff)
    return db.affected(session.execute(delete(CodeAttempt).where(CodeAttempt.at < cutoff)))


# Cases before requests: a closed case no longer holds its request back once it is gone.
RULES = (
    Rule("closed staff cases", _cases, lambda p: p.requests),
    Rule("closed requests", _requests, lambda p: p.requests),
    Rule("hashes of used, voided or expired codes", _codes, lambda p: p.codes),
    Rule("PDFs of printed letters", _letters, lambda p: p.letters),
    Rule("print batch files", _batches, lambda p: p.letters),
    Rule("audit events", _audit, lambda p: p.audit_days()),
    Rule("published outbox rows", _outbox, lambda p: p.operations),
    Rule("resolved parked tasks", _parked, lambda p: p.operations),
    Rule("failed logins", _auth_failures, lambda p: p.attempts),
    Rule("wrong code entries", _code_attempts, lambda p: p.attempts),
)


@dataclass(frozen=True)
class Outcome:
    label: str
    days: int | None
    cutoff: datetime | None
    count: int


def run(session: Session, periods: Periods, now: datetime, dry_run: bool = False) -> list[Outcome]:
    """Apply every rule (or, with dry_run, only count what each would remove); the caller commits."""
    outcomes = []
    for rule in RULES:
        days = rule.days(periods)
        if days is None:
            outcomes.append(Outcome(rule.label, None, None, 0))
            continue
        cutoff = now - timedelta(days=days)
        outcomes.append(Outcome(rule.label, days, cutoff, rule.run(session, cutoff, now, dry_run)))
    if not dry_run and any(outcome.count for outcome in outcomes):
        detail = {outcome.label: outcome.count for outcome in outcomes if outcome.count}
        audit.record(session, audit.Entry("system", "retention.applied", None, "retention", detail), now)
    return outcomes
