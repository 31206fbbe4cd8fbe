"""Fixtures of the fault tests: a private database and broker (PostgreSQL and Redis, or the embedded default's
SQLite and SQL transport), processes the test starts and kills, and the resilience table (report_plugin)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from resilience_support import (
    PrivateRedis,
    SqlBroker,
    Stack,
    create_database,
    create_embedded_database,
    drop_database,
    empty_tables,
    fresh_var_dir,
    switched_to,
)

from tests.conftest import require_services


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    require_services()
    redis = PrivateRedis()
    yield redis
    redis.kill()


@pytest.fixture(scope="session")
def resilience_database(var_dir: Path) -> Iterator[str]:
    require_services()
    name = f"bo_resilience_{os.getpid()}"
    yield create_database(name)
    from core import db

    db.dispose()
    drop_database(name)


@pytest.fixture
def stack(request: pytest.FixtureRequest, var_dir: Path, tmp_path: Path) -> Iterator[Stack]:
    """Empty tables, an empty broker, this process switched to them; every process started is stopped after."""
    if getattr(request, "param", "postgres") == "embedded":
        home = fresh_var_dir(var_dir / "resilience-embedded")
        built = Stack(create_embedded_database(home / "backoffice.sqlite"), SqlBroker(home / "broker.sqlite"), home,
                      tmp_path)
    else:
        private_redis: PrivateRedis = request.getfixturevalue("private_redis")
        private_redis.flush()
        built = Stack(request.getfixturevalue("resilience_database"), private_redis,
                      fresh_var_dir(var_dir / "resilience"), tmp_path)
    with switched_to(built):
        if not built.embedded:
            empty_tables()
        try:
            yield built
        finally:
            built.stop_all()
