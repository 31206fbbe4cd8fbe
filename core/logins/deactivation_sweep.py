"""R11: record the end of logins whose last working day is over.

Such a login is refused from midnight already (web.auth checks every request); the sweep makes it final: status
'deactivated', every session ended (new session version), the audit event, and an e-mail to the member's
administrators. One UPDATE … RETURNING claims the due logins, so when two sweeps run at once each login is
ended, audited and announced by exactly one of them. The partial index ix_login_due keeps the cost in step with
the logins that are due, not with all logins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from core import audit, clock
from core.domain.states import LoginStatus
from core.logins.leaving import Ended, tell_administrators
from core.models import Login

ACTOR = "system"


def due_logins_statement(now: datetime):  # type: ignore[no-untyped-def]
    """The claim, also printed with its query plan by the benchmark."""
    today = clock.today_in_zurich(now)
    return (
        update(Login)
        .where(Login.status == LoginStatus.ACTIVE, Login.last_day.is_not(None), Login.last_day < today)
        .values(status=LoginStatus.DEACTIVATED, deactivated_at=now, session_version=Login.session_version + 1)
        .returning(Login.id, Login.member_id, Login.name, Login.last_day, Login.session_version)
        .execution_options(synchronize_session=False)
    )


def sweep(session: Session, now: datetime) -> list[int]:
    """End every due login; returns their ids (none when another sweep took them first)."""
    ended = [Ended(*found) for found in session.execute(due_logins_statement(now)).all()]
    if not ended:
        return []
    ended.sort(key=lambda e: e.login_id)
    audit.record_many(session, [
        audit.Entry(ACTOR, "login.deactivated", e.member_id, f"login:{e.login_id}",
                    {"last_day": e.last_day.isoformat() if e.last_day else None, "reason": "last_day_passed"})
        for e in ended
    ], now)
    tell_administrators(session, ended, now)
    return [e.login_id for e in ended]


def explain(session: Session, now: datetime, analyze: bool = False) -> list[str]:
    """PostgreSQL's plan for the claim (benchmark, tests). With `analyze` the UPDATE really runs: roll back after."""
    compiled = due_logins_statement(now).compile(dialect=session.get_bind().dialect)
    options = "(ANALYZE, BUFFERS) " if analyze else ""
    rows = session.connection().exec_driver_sql(f"EXPLAIN {options}{compiled.string}", compiled.params)
    return [row[0] for row in rows]
