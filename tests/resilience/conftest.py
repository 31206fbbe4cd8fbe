"""Fixtures of the fault tests: a private database and Redis, processes the test starts and kills, and the
resilience table (report_plugin)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from resilience_support import (
    PrivateRedis,
    Stack,
    create_database,
    drop_database,
    empty_tables,
    fresh_var_dir,
    switched_to,
)

from tests.conftest import require_services
from tests.resilience.report_plugin import pytest_runtest_makereport, pytest_terminal_summary, report  # noqa: F401


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
def stack(resilience_database: str, private_redis: PrivateRedis, var_dir: Path, tmp_path: Path) -> Iterator[Stack]:
    """Empty tables, an empty broker, this process switched to them; every process started is stopped after."""
    private_redis.flush()
    built = Stack(resilience_database, private_redis, fresh_var_dir(var_dir / "resilience"), tmp_path)
    with switched_to(built):
        empty_tables()
        try:
            yield built
        finally:
            built.stop_all()
