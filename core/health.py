"""Probes of what the back office depends on: the database and its schema, the broker, beat and the workers.
Each returns a problem in plain words, or None when all is well; /readyz, the operations page and
`backoffice doctor` share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Engine, func, select, text

from core import migrate
from core.models import Heartbeat

BROKER_TIMEOUT_S = 2.0
HEARTBEAT_STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    name: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this code (read once per process: the files do not change)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return Check("database", f"the database does not answer ({type(exc).__name__})")
    return Check("database")


def migrations(engine: Engine) -> Check:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:
        return Check("migrations", f"the schema version cannot be read ({type(exc).__name__})")
    head = head_revision()
    if current != head:
        return Check("migrations", f"the database is at revision {current or 'none'}, the code expects {head}")
    return Check("migrations")


def broker(url: str, timeout_s: float = BROKER_TIMEOUT_S) -> Check:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=timeout_s) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout_s)
    except Exception as exc:
        return Check("broker", f"the broker does not answer ({type(exc).__name__})")
    return Check("broker")


def queue_sizes(url: str, queues: list[str], timeout_s: float = BROKER_TIMEOUT_S) -> dict[str, int] | None:
    """Messages waiting per queue (not those a worker holds); None when the broker does not answer."""
    return broker_and_queues(url, queues, timeout_s)[1]


def broker_and_queues(url: str, queues: list[str], timeout_s: float = BROKER_TIMEOUT_S,
                      ) -> tuple[Check, dict[str, int] | None]:
    """The broker check and the queue sizes over one connection (the operations page shows both). kombu's virtual
    transports (Redis, the SQL one) count a queue without declaring it; a passive declare on Redis fails for an
    empty queue and costs a new channel, and a new connection, each time."""
    from kombu import Connection

    sizes: dict[str, int] = {}
    try:
        with Connection(url, connect_timeout=timeout_s) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout_s)
            channel = connection.default_channel
            count = getattr(channel, "_size", None)
            for queue in queues:
                if count is not None:
                    sizes[queue] = int(count(queue))
                    continue
                try:
                    sizes[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except Exception:  # a queue that does not exist yet
                    sizes[queue] = 0
                    channel = connection.channel()
    except Exception as exc:
        return Check("broker", f"the broker does not answer ({type(exc).__name__})"), None
    return Check("broker"), sizes


def heartbeat(engine: Engine, kind: str, now: datetime) -> Check:
    """Beat (or some worker) wrote its heartbeat within the last 5 minutes."""
    try:
        with engine.connect() as connection:
            last = connection.scalar(select(func.max(Heartbeat.at)).where(Heartbeat.kind == kind))
    except Exception as exc:
        return Check(kind, f"its heartbeat cannot be read ({type(exc).__name__})")
    if last is None:
        return Check(kind, f"no {kind} has reported yet")
    if now - last > HEARTBEAT_STALE_AFTER:
        minutes = int((now - last).total_seconds() // 60)
        return Check(kind, f"{kind} has not reported for {minutes} minutes")
    return Check(kind)
