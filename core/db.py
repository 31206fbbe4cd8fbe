"""Engine and sessions. One unit of work is one transaction."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from core import config

_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None
# A pooled connection idle for longer than this is checked with a ping before use. A busy connection is not:
# a ping per checkout is a round trip on every request, and when the server does go away under load, the first
# error invalidates the whole pool (SQLAlchemy's disconnect handling), so only requests already running fail.
PING_AFTER_IDLE_S = 1.0


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched: Session.execute is typed as returning Result, DML gives a CursorResult."""
    return cast(CursorResult[Any], result).rowcount or 0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool drops this connection and checks out a fresh one
            raise DisconnectionError("the pooled connection no longer answers") from exc

    return checkout


def engine() -> Engine:
    global _engine, _factory
    if _engine is None:
        _engine = make_engine(config.get().database_url)
        _factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def session() -> Session:
    engine()
    assert _factory is not None
    return _factory()


def dispose() -> None:
    """Drop the engine (after a fork, or when tests switch databases)."""
    global _engine, _factory
    if _engine is not None:
        _engine.dispose()
    _engine, _factory = None, None


def is_postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
