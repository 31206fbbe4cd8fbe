"""The outbox and the audit chain on real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, text

from core import audit, clock, db, outbox
from core.models import AuditEvent, OutboxMessage


def test_outbox_add_is_idempotent_per_key(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        outbox.add(s, "mail.send", {"to": "a@example.ch"}, key="k1", now=now)
        outbox.add(s, "mail.send", {"to": "b@example.ch"}, key="k1", now=now)
    with db.unit_of_work() as s:
        rows = s.scalars(select(OutboxMessage)).all()
    assert [(r.key, r.args["to"]) for r in rows] == [("k1", "a@example.ch")]


def test_two_relays_never_claim_the_same_row(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        for i in range(10):
            outbox.add(s, "mail.send", {"i": i}, key=f"k{i}", now=now)
    first, second = db.session(), db.session()
    try:
        taken_first = {r.id for r in outbox.claim(first, 6)}
        taken_second = {r.id for r in outbox.claim(second, 6)}
        assert len(taken_first) == 6 and len(taken_second) == 4
        assert not taken_first & taken_second
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()


def test_r18_audit_chain_verifies_and_finds_tampering(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        for i in range(5):
            audit.record(s, audit.Entry("staff:anna", "login.created", 1, f"login:{i}", {"n": i}), now)
    with db.unit_of_work() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert list(audit.verify(events)) == []
        s.execute(text("UPDATE audit_event SET actor = 'someone' WHERE id = 3"))
    with db.unit_of_work() as s:
        problems = list(audit.verify(s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()))
    assert problems == ["event 3: its content was changed"]


def test_r18_removed_audit_row_is_found(pg):
    now = clock.now()
    with db.unit_of_work() as s:
        for i in range(4):
            audit.record(s, audit.Entry("system", "code.issued", 1, f"letter:{i}"), now)
        s.execute(text("DELETE FROM audit_event WHERE id = 2"))
    with db.unit_of_work() as s:
        problems = list(audit.verify(s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()))
    assert problems == ["event 3: does not follow the event before it (a row was removed or moved)"]


def test_r18_audit_refuses_secrets_in_detail(pg):
    import pytest

    with db.unit_of_work() as s, pytest.raises(ValueError):
        audit.record(s, audit.Entry("system", "code.issued", 1, "x", {"code": "ABCD"}), clock.now())


def test_r18_backoffice_audit_verify_command(pg):
    from click.testing import CliRunner

    from core.cli import main

    with db.unit_of_work() as s:
        for i in range(3):
            audit.record(s, audit.Entry("system", "code.issued", 1, f"letter:{i}"), clock.now())
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 0
    with db.unit_of_work() as s:
        s.execute(text("UPDATE audit_event SET detail = '{\"x\": 1}' WHERE id = 2"))
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1 and "event 2: its content was changed" in result.output
