"""Retention on the embedded default (SQLite), as `make run` uses it: the same statements work there."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, clock, migrate
from core.db import make_engine
from core.domain.states import CaseStatus, CodeStatus, RequestStatus
from core.models import AuditEvent, Case, Member, OutboxMessage, RegistrationCode, Request
from core.operations import retention


def test_retention_runs_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'retention.sqlite'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    now = clock.now()
    old = now - timedelta(days=800)
    with Session(engine) as s, s.begin():
        member = Member(member_number="600100", uid="CHE-100.155.212", name="Lite AG", care_of="", street="Weg 2",
                        po_box="", postcode="3000", town="Bern", language="de", email="", code_failures=0,
                        created_at=old, updated_at=old)
        s.add(member)
        s.flush()
        request = Request(reference="R-LITE-0001", kind="new_code", status=RequestStatus.COMPLETED, outcome="rejected",
                          member_number="600100", uid="CHE-100.155.212", company_name="Lite AG",
                          requester_name="A", requester_role="B", requester_email="a@example.ch", reason="r",
                          language="de", member_id=member.id, received_at=old, decided_at=old)
        s.add(request)
        s.flush()
        s.add(Case(kind="new_code", status=CaseStatus.REJECTED, why="w", request_id=request.id, member_id=member.id,
                   created_at=old, decided_at=old))
        s.add(RegistrationCode(member_id=member.id, purpose="new_code", code_hash="f" * 64, status=CodeStatus.USED,
                               issued_at=old, expires_on=old.date(), used_at=old))
        s.add(OutboxMessage(task="mail.send", args={}, key="mail:lite", created_at=old, sent_at=old, attempts=0))
        for days in (900, 800, 1):
            audit.record(s, audit.Entry("test", "code.issued", None, "x", {}), now - timedelta(days=days))
    with Session(engine) as s, s.begin():
        outcomes = {o.label: o.count for o in retention.run(s, retention.Periods(audit=365), now)}
    assert outcomes["closed staff cases"] == 1 and outcomes["closed requests"] == 1
    assert outcomes["hashes of used, voided or expired codes"] == 1 and outcomes["published outbox rows"] == 1
    assert outcomes["audit events"] == 2
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert list(audit.verify(events, retention.audit_start(s)[1])) == []
    engine.dispose()
