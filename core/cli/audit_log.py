"""`backoffice audit verify`: check the hash chain of the audit log (R18)."""

from __future__ import annotations

import click
from sqlalchemy import select

from core import audit, db
from core.models import AuditEvent
from core.operations import retention


@click.group("audit", help="The security audit log (R18).")
def group() -> None:
    pass


@group.command("verify", help="Walk the whole chain; exit 1 naming each altered, removed or reordered event.")
def verify() -> None:
    with db.unit_of_work() as session:
        _first_id, start = retention.audit_start(session)  # after retention removed the oldest: its checkpoint
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=5000))
        problems = list(audit.verify(events, start))
        count = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"audit chain intact ({count} events)")
