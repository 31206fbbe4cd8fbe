"""Hostile 6 (R18): one audit row altered, deleted or moved is found by `backoffice audit verify`, which names
the row; and the application's database role (migration 0007) can add audit events but neither change nor
delete them, while retention still removes events older than a year through the database's own function."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from core import audit, clock, db
from core.cli import main
from core.models import AuditEvent
from core.operations import retention

EVENTS = 6
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _chain(days_ago: int = 0) -> None:
    with db.unit_of_work() as s:
        for i in range(EVENTS):
            audit.record(s, audit.Entry("staff:anna", "login.created", 1, f"login:{i}", {"n": i}),
                         clock.now() - timedelta(days=days_ago))


def _verify() -> tuple[int, str]:
    result = CliRunner(mix_stderr=False).invoke(main, ["audit", "verify"]) if _has_mix_stderr() else \
        CliRunner().invoke(main, ["audit", "verify"])
    return result.exit_code, result.output + (getattr(result, "stderr", "") or "")


def _has_mix_stderr() -> bool:
    import inspect

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


TAMPERING = {
    "altered": ("UPDATE audit_event SET detail = '{\"n\": 99}' WHERE id = 3", "event 3: its content was changed"),
    "deleted": ("DELETE FROM audit_event WHERE id = 3",
                "event 4: does not follow the event before it (a row was removed or moved)"),
    # Rows 3 and 4 trade places: ids swapped through a free id, everything else kept.
    "reordered": ("UPDATE audit_event SET id = 1000 WHERE id = 3; UPDATE audit_event SET id = 3 WHERE id = 4; "
                  "UPDATE audit_event SET id = 4 WHERE id = 1000",
                  "event 3: does not follow the event before it (a row was removed or moved)"),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_r18_one_tampered_audit_row_is_found_and_named(pg, report, how):
    row = report.row("audit chain tampering found")
    row.runs = 1
    _chain()
    assert _verify() == (0, f"audit chain intact ({EVENTS} events)\n")
    statement, problem = TAMPERING[how]
    with db.unit_of_work() as s:  # as the database's owner: what only an administrator of the server could do
        for part in statement.split("; "):
            s.execute(text(part))
    code, output = _verify()
    row.lost = int(code != 1 or problem not in output)
    assert code == 1 and problem in output, output


@pytest.fixture
def app_role_engine(pg: str) -> Iterator[object]:
    """A login in the application's role (migration 0007), as the web and worker use in production."""
    name = f"bo_app_test_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')
        conn.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE backoffice_app')
    engine = create_engine(pg.replace("postgres@", f"{name}@"))
    yield engine
    engine.dispose()
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'someone'", "DELETE FROM audit_event",
                                       "TRUNCATE audit_event", "UPDATE audit_checkpoint SET removed = 0",
                                       "DELETE FROM audit_checkpoint"])
def test_r18_the_application_role_cannot_change_or_delete_audit_rows(app_role_engine, report, statement):
    row = report.row("app role UPDATE/DELETE audit rows")
    row.runs = 1
    with Session(app_role_engine) as s:
        audit.record(s, audit.Entry("system", "code.issued", 1, "letter:1"), clock.now())  # appending is allowed
        s.commit()
        with pytest.raises(ProgrammingError, match="permission denied"):
            s.execute(text(statement))
        s.rollback()
    with db.unit_of_work() as s:
        assert s.scalar(select(AuditEvent.actor)) == "system"


def test_r18_retention_as_the_application_role_removes_only_events_older_than_a_year(app_role_engine, report):
    row = report.row("app role UPDATE/DELETE audit rows")
    row.runs = 1
    _chain(days_ago=500)
    with db.unit_of_work() as s:
        audit.record(s, audit.Entry("system", "code.issued", 1, "letter:new"), clock.now() - timedelta(days=200))
    with Session(app_role_engine) as s:
        outcomes = retention.run(s, retention.Periods(audit=400), clock.now())
        s.commit()
        # Asked to remove what is 100 days old, the function still keeps every event of the last year.
        assert int(s.scalar(text("SELECT backoffice_audit_prune(:c, :n)"),
                            {"c": clock.now() - timedelta(days=100), "n": clock.now()})) == 0
        s.commit()
    assert {o.label: o.count for o in outcomes}["audit events"] == EVENTS
    with db.unit_of_work() as s:
        assert s.scalars(select(AuditEvent.subject)).all()[0] == "letter:new"
    assert _verify()[0] == 0
