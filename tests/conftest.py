"""Shared fixtures. Integration and e2e tests run on real PostgreSQL and Redis; with CI=true they may not skip."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Every test may add a row to the resilience table that `make test` prints (faults, attacks, hostile input).
pytest_plugins = ["tests.resilience.report_plugin"]

PG_HOST, PG_PORT = os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432"))
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
IN_CI = os.environ.get("CI", "").lower() == "true"
# Set before any test module imports the Celery app or reads the settings: the whole session, this process and
# the worker and web processes it starts, use the real Redis and a private VAR_DIR, never the checkout's var/.
_SESSION_VAR = Path(tempfile.mkdtemp(prefix="backoffice-test-var-"))
os.environ["VAR_DIR"] = str(_SESSION_VAR)
os.environ["ENVIRONMENT"] = "test"  # the only place besides development that accepts the public development secrets
os.environ["BROKER_URL"] = f"redis://{REDIS_HOST}:{REDIS_PORT}/{os.getpid() % 14 + 1}"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_services() -> None:
    missing = [name for name, host, port in (("PostgreSQL", PG_HOST, PG_PORT), ("Redis", REDIS_HOST, REDIS_PORT))
               if not _answers(host, port)]
    if missing:
        message = f"{' and '.join(missing)} not answering on 127.0.0.1"
        if IN_CI:
            pytest.fail(f"{message}: with CI=true these tests may not skip")
        pytest.skip(message)


@pytest.fixture(scope="session")
def var_dir() -> Iterator[Path]:
    yield _SESSION_VAR
    shutil.rmtree(_SESSION_VAR, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_database(var_dir: Path) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to the latest schema."""
    require_services()
    import psycopg

    from core import config, db, migrate

    name = f"bo_test_{os.getpid()}"
    admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    os.environ["DATABASE_URL"] = url
    config.reset()
    db.dispose()
    migrate.upgrade(url)
    yield url
    db.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg(pg_database: str) -> Iterator[str]:
    """Empty tables before each test that uses the database, and empty mail and SMS folders: their file names come
    from outbox keys, which restart with the tables' ids."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from core import db
    from core.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.tables.values())  # one TRUNCATE: order is irrelevant
    # A running e2e worker may hold a short lock (its relay polls the outbox): retry instead of deadlocking.
    for attempt in range(20):
        try:
            with db.engine().begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '2s'"))
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            break
        except OperationalError:
            if attempt == 19:
                raise
    for folder in ("mail", "sms"):
        shutil.rmtree(_SESSION_VAR / folder, ignore_errors=True)
    yield pg_database


@pytest.fixture(autouse=True)
def _no_relay_wake_left_from_an_earlier_test() -> Iterator[None]:
    """A commit that writes outbox rows wakes the relay through the sender the last create_app (or the worker app)
    wired into this process. Each test starts without one, so its commits never publish to a broker an earlier
    test chose; a test that wants wake-ups wires its own (tests/integration/test_relay_wake.py)."""
    from core import relay_wake

    relay_wake.use(None)
    yield
    relay_wake.use(None)
