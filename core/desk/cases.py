"""Cases for the fund's staff: opened by the system, decided by a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core import audit
from core.domain.states import CaseStatus
from core.models import Case, History


def open_case(session: Session, *, kind: str, why: str, now: datetime, request_id: int | None = None,
              member_id: int | None = None) -> Case:
    """A new open case and its first history line, in the caller's transaction. Staff hear of it through the
    batched notice (core.desk.staff_notices), never one e-mail per case: a returned mailing must not flood
    them."""
    case = Case(kind=kind, status=CaseStatus.OPEN, why=why, request_id=request_id, member_id=member_id, created_at=now)
    session.add(case)
    session.flush()
    session.add(History(case_id=case.id, request_id=request_id, at=now, actor="system", event="case.opened",
                        detail=why))
    audit.record(session, audit.Entry("system", "case.opened", member_id, f"case:{case.id}", {"kind": kind}), now)
    return case
