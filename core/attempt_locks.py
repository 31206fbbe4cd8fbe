"""R3, R9: counting the earlier failures and recording this attempt must be one step. Two requests that count at the
same moment both see room for one more, so attempts on one key take turns: on PostgreSQL a transaction-scoped
advisory lock per key, on SQLite the database's single write lock (taken by a write before the count). The lock
is held until the attempt's transaction ends, with its failure recorded."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session


def _number(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def take_turns(session: Session, key: str) -> None:
    """Wait until no other transaction is attempting on `key`; others wait for this one in turn."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_number(key))))
    else:
        # A write that changes nothing still takes SQLite's write lock for the rest of the transaction.
        session.execute(text("UPDATE auth_failure SET id = id WHERE id = -1"))
