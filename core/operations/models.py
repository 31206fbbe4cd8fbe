"""The outbox, heartbeats, parked tasks, the audit trail and its checkpoints, and counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.domain.states import ParkedStatus, one_of
from core.observability import current_request_id
from core.orm import Base


class AuditEvent(Base):
    """R18: append-only, hash-chained; never holds codes, OTPs or passwords."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    member_id: Mapped[int | None] = mapped_column(default=None, index=True)
    subject: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OutboxMessage(Base):
    """A task to publish, written in the same transaction as the change that needs it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column()
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The HTTP request (or the task) that caused this row, so one grep of the logs follows it; every insert,
    # ORM or Core, takes it from the context without the caller passing it.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)

    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)


class Heartbeat(Base):
    """Liveness: when beat, each worker and each periodic job was last seen. One row per name, overwritten."""

    __tablename__ = "heartbeat"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # "beat", "worker:<host>", "job:<task>"
    kind: Mapped[str] = mapped_column(String(10))  # beat, worker, job
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (CheckConstraint("kind IN ('beat','worker','job')", name="kind"),)


class ParkedTask(Base):
    """A task that failed after its last retry, kept for staff to retry or discard. Never holds a secret: its
    arguments are masked when parked; a retry takes the originals from the task's outbox row."""

    __tablename__ = "parked_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(200), unique=True)  # the Celery task id: the outbox key
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column()
    ids: Mapped[dict[str, Any]] = mapped_column()  # the ids the task concerns, for the operations page
    error_type: Mapped[str] = mapped_column(String(100))
    error_message: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(10), default=ParkedStatus.PARKED)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str] = mapped_column(String(100), default="")
    retry_key: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint(one_of(ParkedStatus), name="status"),
        Index("ix_parked_task_status_failed", "status", "last_failed_at"),
    )


class AuditCheckpoint(Base):
    """R18 with retention: the audit chain now starts at `first_event_id`, whose prev_hash is kept here, so the
    remaining chain still verifies and a removal beyond the checkpoint is still detected."""

    __tablename__ = "audit_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    first_event_id: Mapped[int] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column()


class Counter(Base):
    """Sequences that work on SQLite and PostgreSQL alike (letter references)."""

    __tablename__ = "counter"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
