"""Alembic environment: the URL comes from the application's settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from core import config
from core.db import make_engine
from core.models import Base

target_metadata = Base.metadata


def run() -> None:
    url = context.config.attributes.get("database_url") or config.get().database_url
    connectable = context.config.attributes.get("connection") or make_engine(url)
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _migrate(connection)
    else:
        _migrate(connectable)


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
