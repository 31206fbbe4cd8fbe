"""Cases for the fund's staff: opened by the system, decided by a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core import audit, config, mail
from core.models import Case, History


def open_case(session: Session, *, kind: str, why: str, now: datetime, request_id: int | None = None,
              member_id: int | None = None) -> Case:
    """A new open case, its first history line, and an e-mail to the staff desk, in the caller's transaction."""
    case = Case(kind=kind, status="open", why=why, request_id=request_id, member_id=member_id, created_at=now)
    session.add(case)
    session.flush()
    session.add(History(case_id=case.id, request_id=request_id, at=now, actor="system", event="case.opened",
                        detail=why))
    audit.record(session, audit.Entry("system", "case.opened", member_id, f"case:{case.id}", {"kind": kind}), now)
    settings = config.get()
    mail.queue(session, to=settings.staff_notify_email, name="staff_case_opened", lang="en",
               context={"case_id": case.id, "kind": kind, "why": why,
                        "desk_url": f"{settings.public_base_url}/staff/cases/{case.id}"},
               key=f"case-opened:{case.id}", now=now)
    return case
