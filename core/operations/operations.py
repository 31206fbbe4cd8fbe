"""Operations: the outbox backlog, tasks parked after their last retry, heartbeats of beat, workers and periodic
jobs, and the figures the metrics read from the database. Retry and discard are staff decisions, audited (R18)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import audit, clock, db, outbox
from core.desk import desk
from core.domain.states import CaseStatus, CodeStatus, ParkedStatus
from core.models import Case, Heartbeat, Letter, OutboxMessage, ParkedTask, RegistrationCode, StaffUser
from core.observability import REDACTED, SECRET_KEYS, mask_text

MAX_IDS_SHOWN = 20
# A text message carries a one-time code that is void after 5 minutes (R8): sending it again helps nobody.
NOT_RETRYABLE_PREFIXES = ("sms.",)


class OperationsError(Exception):
    pass


class NotFound(OperationsError):
    pass


class AlreadyResolved(OperationsError):
    pass


class CannotRetry(OperationsError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired_code" or "arguments_gone"


class NotAllowed(OperationsError):
    pass


# --- parking failed tasks -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    task_id: str
    task: str
    args: Sequence[Any]
    kwargs: Mapping[str, Any]
    error_type: str
    error_message: str
    request_id: str | None = None


def mask_args(task: str, value: Any, key: str = "") -> Any:
    """Arguments as they may be kept: every value of an sms.* task, and any secret-looking key, masked."""
    if key.lower() in SECRET_KEYS or (key and task.startswith("sms.")):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): mask_args(task, v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [REDACTED if task.startswith("sms.") else mask_args(task, item) for item in value]
    return mask_text(value) if isinstance(value, str) else value


def ids_of(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The ids a task concerns (request_id, letter_ids, …), long lists cut for the page."""
    found: dict[str, Any] = {}
    for key, value in kwargs.items():
        if not (key == "id" or key.endswith("_id") or key.endswith("_ids")):
            continue
        if isinstance(value, list) and len(value) > MAX_IDS_SHOWN:
            found[key] = {"first": value[:MAX_IDS_SHOWN], "count": len(value)}
        else:
            found[key] = value
    return found


def park(session: Session, failure: Failure, now: datetime) -> int:
    """Keep a task that failed for good; the same task failing again (redelivered) updates its row."""
    message = "" if failure.task.startswith("sms.") else mask_text(failure.error_message)[:1000]
    row = session.scalar(select(ParkedTask).where(ParkedTask.task_id == failure.task_id).with_for_update())
    if row is None:
        row = ParkedTask(
            task_id=failure.task_id[:200], task=failure.task[:100],
            args={"kwargs": mask_args(failure.task, dict(failure.kwargs)),
                  "args": mask_args(failure.task, list(failure.args))},
            ids=ids_of(failure.kwargs), error_type=failure.error_type[:100], error_message=message, failures=1,
            first_failed_at=now, last_failed_at=now, request_id=failure.request_id, status=ParkedStatus.PARKED,
            resolved_by="", retry_key="")
        session.add(row)
        session.flush()
        return row.id
    row.failures += 1
    row.last_failed_at = now
    row.error_type, row.error_message = failure.error_type[:100], message
    row.status, row.resolved_at, row.resolved_by = ParkedStatus.PARKED, None, ""
    return row.id


def parked(session: Session, limit: int = 100) -> list[ParkedTask]:
    query = (select(ParkedTask).where(ParkedTask.status == ParkedStatus.PARKED)
             .order_by(ParkedTask.last_failed_at.desc()).limit(limit))
    return list(session.scalars(query))


def parked_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(ParkedTask.status == ParkedStatus.PARKED)) or 0


def retryable(row: ParkedTask) -> bool:
    return not row.task.startswith(NOT_RETRYABLE_PREFIXES)


def _supervisor(session: Session, staff_id: int) -> str:
    """Only a supervisor retries or discards (the operations page is theirs); returns the audit actor."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active or staff.role != "supervisor":
        raise NotAllowed(staff_id)
    return f"staff:{staff.username}"


def _open_parked(session: Session, parked_id: int) -> ParkedTask:
    row = session.get(ParkedTask, parked_id, with_for_update=True)
    if row is None:
        raise NotFound(parked_id)
    if row.status != ParkedStatus.PARKED:
        raise AlreadyResolved(parked_id)
    return row


def retry(session: Session, parked_id: int, staff_id: int, now: datetime) -> str:
    """Publish the task again through the outbox, under a new key, with its original arguments (kept only in its
    outbox row, never in the parked row). Returns the new key."""
    actor = _supervisor(session, staff_id)
    row = _open_parked(session, parked_id)
    if not retryable(row):
        raise CannotRetry("expired_code")  # a text message's one-time code is void by now; the person asks again
    original = session.scalar(select(OutboxMessage).where(OutboxMessage.key == row.task_id))
    if original is None:
        if row.args.get("args") or _has_redacted(row.args):
            raise CannotRetry("arguments_gone")
        arguments: dict[str, Any] = dict(row.args.get("kwargs", {}))
    else:
        arguments = dict(original.args)
    key = f"retry{row.failures}:{row.id}:{row.task_id}"[:200]
    outbox.add(session, row.task, arguments, key=key, now=now)
    row.status, row.resolved_at, row.resolved_by, row.retry_key = ParkedStatus.RETRIED, now, actor, key
    audit.record(session, audit.Entry(actor, "task.retried", None, f"parked:{row.id}",
                                      {"task": row.task, "ids": row.ids, "new_task_id": key}), now)
    return key


def discard(session: Session, parked_id: int, staff_id: int, now: datetime) -> None:
    actor = _supervisor(session, staff_id)
    row = _open_parked(session, parked_id)
    row.status, row.resolved_at, row.resolved_by = ParkedStatus.DISCARDED, now, actor
    audit.record(session, audit.Entry(actor, "task.discarded", None, f"parked:{row.id}",
                                      {"task": row.task, "ids": row.ids, "error": row.error_type}), now)


def _has_redacted(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_redacted(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_redacted(v) for v in value)
    return value == REDACTED


def park_in_own_transaction(failure: Failure) -> int | None:
    """From a failing task: its own transaction, since the task's was rolled back. Never raises: a database
    that is down as well must not hide the task's own error."""
    try:
        with db.unit_of_work() as session:
            return park(session, failure, clock.now())
    except Exception:
        return None


# --- heartbeats -----------------------------------------------------------------------------------------------

def beat_seen(session: Session, kind: str, name: str, now: datetime, detail: str = "") -> None:
    """Beat, a worker or a periodic job reports: one row per name, overwritten."""
    insert = pg_insert if db.is_postgres(session) else sqlite_insert
    statement = insert(Heartbeat).values(name=name[:200], kind=kind, at=now, detail=detail[:200])
    session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                    set_={"at": now, "detail": detail[:200], "kind": kind}))


def heartbeats(session: Session) -> list[Heartbeat]:
    return list(session.scalars(select(Heartbeat).order_by(Heartbeat.kind, Heartbeat.name)))


def forget_heartbeat(session: Session, name: str) -> None:
    session.execute(delete(Heartbeat).where(Heartbeat.name == name))


@dataclass(frozen=True)
class Processes:
    """Beat and the workers that reported lately; `gone` counts worker rows older than that (a worker that died)."""

    alive: list[Heartbeat]
    gone: int


def live_processes(session: Session, now: datetime, stale_after: timedelta) -> Processes:
    rows = [row for row in heartbeats(session) if row.kind != "job"]
    alive = [row for row in rows if now - row.at <= stale_after or row.kind == "beat"]
    return Processes(alive, len(rows) - len(alive))


@dataclass(frozen=True)
class TaskRun:
    task: str
    last_run: datetime
    outcome: str

    @property
    def failed(self) -> bool:
        return not self.outcome.startswith("SUCCESS")


def recent_task_runs(session: Session, periodic: set[str]) -> list[TaskRun]:
    """The last run of every task that is not periodic (those are under periodic jobs), newest first."""
    rows = session.scalars(select(Heartbeat).where(Heartbeat.kind == "job").order_by(Heartbeat.at.desc()))
    runs = [TaskRun(row.name.removeprefix("job:"), row.at, row.detail) for row in rows]
    return [run for run in runs if run.task not in periodic]


@dataclass(frozen=True)
class JobRun:
    entry: str
    task: str
    schedule: str
    last_run: datetime | None
    outcome: str


def periodic_jobs(session: Session, schedule: Mapping[str, tuple[str, str]]) -> list[JobRun]:
    """Every entry of the beat schedule (name -> (task, when)) with the last time it ran, or None."""
    seen = {row.name: row for row in session.scalars(select(Heartbeat).where(Heartbeat.kind == "job"))}
    runs = []
    for entry, (task, when) in sorted(schedule.items()):
        row = seen.get(f"job:{task}")
        runs.append(JobRun(entry, task, when, row.at if row else None, row.detail if row else ""))
    return runs


# --- the backlog and the figures for the metrics --------------------------------------------------------------

@dataclass(frozen=True)
class Backlog:
    waiting: int
    oldest_at: datetime | None
    by_task: list[tuple[str, int, datetime]] = field(default_factory=list)


def backlog(session: Session) -> Backlog:
    waiting = OutboxMessage.sent_at.is_(None)
    rows = session.execute(
        select(OutboxMessage.task, func.count(), func.min(OutboxMessage.created_at))
        .where(waiting).group_by(OutboxMessage.task).order_by(func.count().desc())
    ).all()
    by_task = [(task, count, oldest) for task, count, oldest in rows]
    oldest = min((at for _task, _count, at in by_task), default=None)
    return Backlog(sum(count for _task, count, _at in by_task), oldest, by_task)


@dataclass(frozen=True)
class Mailing:
    """The invitation letters of the last register import (they share its moment, core.members.members)."""

    imported_at: datetime
    waiting: int  # not rendered yet
    rendered: int
    printed: int


def last_mailing(session: Session) -> Mailing | None:
    """Where the letters of the last import are: waiting to be rendered, rendered, printed. Two index reads."""
    imported_at = session.scalar(select(func.max(Letter.created_at)).where(Letter.kind == "invitation"))
    if imported_at is None:
        return None
    counts = dict(session.execute(select(Letter.status, func.count())
                                  .where(Letter.kind == "invitation", Letter.created_at == imported_at)
                                  .group_by(Letter.status)).tuples().all())
    return Mailing(imported_at, counts.get("pending", 0), counts.get("rendered", 0), counts.get("printed", 0))


@dataclass(frozen=True)
class Figures:
    outbox_waiting: int
    outbox_oldest_age_s: float
    codes: dict[str, int]
    letters: dict[str, int]
    open_cases: dict[str, int]
    parked: int
    heartbeat_ages: dict[str, float]


CODE_STATES = ("issued", "expired", "used", "voided")
LETTER_STATES = ("pending", "rendered", "printed", "returned", "cancelled")


def figures(session: Session, now: datetime) -> Figures:
    """Cheap COUNT queries, so each scrape sees the truth whichever process did the work."""
    waiting = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.sent_at.is_(None))).one()
    today = clock.today_in_zurich(now)
    code_rows = session.execute(select(RegistrationCode.status, func.count()).group_by(RegistrationCode.status)).all()
    codes = dict.fromkeys(CODE_STATES, 0) | {status: count for status, count in code_rows}
    expired = session.scalar(select(func.count()).where(RegistrationCode.status == CodeStatus.ISSUED,
                                                        RegistrationCode.expires_on < today)) or 0
    codes["issued"] -= expired
    codes["expired"] = expired
    letter_rows = session.execute(select(Letter.status, func.count()).group_by(Letter.status)).all()
    case_rows = session.execute(select(Case.kind, func.count()).where(Case.status == CaseStatus.OPEN)
                                .group_by(Case.kind)).all()
    ages = {row.name: (now - row.at).total_seconds() for row in session.scalars(select(Heartbeat))}
    return Figures(
        outbox_waiting=waiting[0] or 0,
        outbox_oldest_age_s=(now - waiting[1]).total_seconds() if waiting[1] else 0.0,
        codes=codes,
        letters=dict.fromkeys(LETTER_STATES, 0) | {status: count for status, count in letter_rows},
        open_cases=dict.fromkeys(desk.KINDS, 0) | {kind: count for kind, count in case_rows},
        parked=parked_count(session),
        heartbeat_ages=ages,
    )
