"""R18: the append-only, hash-chained audit log. Each row's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from core.models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x617564  # one advisory lock serialises writers of the chain on PostgreSQL
# Keys that must never reach the audit log, whatever a caller passes.
FORBIDDEN_KEYS = frozenset({"code", "otp", "password", "totp", "secret", "token"})


@dataclass(frozen=True)
class Entry:
    actor: str
    action: str
    member_id: int | None = None
    subject: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def _digest(prev_hash: str, at: datetime, entry: Entry) -> str:
    body = json.dumps(
        [prev_hash, at.astimezone(UTC).isoformat(), entry.actor, entry.action, entry.member_id, entry.subject,
         entry.detail],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _last_hash(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def record_many(session: Session, entries: Iterable[Entry], now: datetime) -> int:
    """Append entries in order, in the caller's transaction."""
    rows: list[dict[str, Any]] = []
    prev = None
    for entry in entries:
        if FORBIDDEN_KEYS & set(entry.detail):
            raise ValueError("audit detail must not carry secrets")
        if prev is None:
            prev = _last_hash(session)
        digest = _digest(prev, now, entry)
        rows.append(
            dict(at=now, actor=entry.actor, action=entry.action, member_id=entry.member_id,
                 subject=entry.subject, detail=entry.detail, prev_hash=prev, hash=digest)
        )
        prev = digest
    if rows:
        session.execute(insert(AuditEvent), rows)
    return len(rows)


def record(session: Session, entry: Entry, now: datetime) -> None:
    record_many(session, [entry], now)


def verify(events: Iterable[AuditEvent], start: str = GENESIS) -> Iterator[str]:
    """Yield one message per broken link: an altered, deleted or reordered row breaks the chain.
    `start` is the hash the first event must follow: GENESIS, or a retention checkpoint's kept hash."""
    prev = start
    for event in events:
        entry = Entry(event.actor, event.action, event.member_id, event.subject, event.detail)
        if event.prev_hash != prev:
            yield f"event {event.id}: does not follow the event before it (a row was removed or moved)"
        elif _digest(prev, event.at, entry) != event.hash:
            yield f"event {event.id}: its content was changed"
        prev = event.hash
