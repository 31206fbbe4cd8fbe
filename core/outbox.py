"""The transactional outbox: tasks are written with the change that needs them and published after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, String, Table, bindparam, event, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import relay_wake
from core.models import OutboxMessage
from core.observability import current_request_id

_WROTE = "outbox_written"


def add(session: Session, task: str, args: dict[str, Any], key: str, now: datetime) -> None:
    """Queue `task(**args)` once per key; a second add with the same key does nothing."""
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = upsert(OutboxMessage).values(task=task, args=args, key=key, created_at=now, attempts=0)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
    written(session)


def insert_from(source: Select[Any]) -> Insert:
    """INSERT INTO outbox … SELECT, for a statement that writes its change and the task that needs it in one round
    trip. `source` selects task, args, key and created_at; run it, then call `written` (or `committed`)."""
    rows = source.add_columns(
        literal(0),
        # the id of the HTTP request, read at each execution (a column default is not applied inside a CTE)
        bindparam("outbox_request_id", type_=String, callable_=current_request_id),
    )
    table = OutboxMessage.__table__
    assert isinstance(table, Table)
    return insert(table).from_select(["task", "args", "key", "created_at", "attempts", "request_id"], rows)


def written(session: Session) -> None:
    """This transaction wrote outbox rows (through `add`, or one statement that also inserts into the outbox): the
    relay is woken once it commits."""
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        relay_wake.soon()


def committed() -> None:
    """Outbox rows were committed outside a session (one autocommit statement): wake the relay as a commit would."""
    relay_wake.soon()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_WROTE, None)


def claim(session: Session, limit: int) -> list[OutboxMessage]:
    """Unsent rows, locked so that two relays never take the same one (SKIP LOCKED on PostgreSQL)."""
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        # SQLite has no row locks: a plain SELECT let beat's relay and a nudged one publish the same rows, so every
        # task ran twice. A write first takes the database's one write lock until this relay commits; the next
        # relay waits for it (busy timeout) and then finds the rows marked sent.
        session.execute(update(OutboxMessage).where(OutboxMessage.id == -1).values(attempts=0))
    return list(session.scalars(query))


# Tasks whose arguments carry a one-time code (R8): once published, the row forgets them; the broker holds the
# message, and a lost SMS is simply sent again by the person asking for a new code.
SECRET_TASKS = frozenset({"sms.send"})
FORGOTTEN = {"sent": True}


def mark_sent(session: Session, ids: list[int], now: datetime) -> None:
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(sent_at=now))
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.task.in_(SECRET_TASKS))
                        .values(args=FORGOTTEN))


def backlog(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) or 0
