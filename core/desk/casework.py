"""The steps every decision on a case is made of, whatever its kind: the staff member and the open case are
loaded, the role and four-eyes rules checked, the case claimed once, the request completed, a history line and an
audit event written (R18). The desk (core.desk.desk) and each kind's own use cases (core.desk.case_kind) build on
these; this module imports neither, so no kind ever needs the desk while it loads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from core.domain.staff import may_decide
from core.domain.states import CaseStatus, RequestStatus
from core.models import Case, History, Member, Request, StaffUser
from core.translatable import N_

NO_MEMBER = N_("no member with this number in the register")
RECORDED_BY_YOU = N_("you recorded this case; another staff member must approve it")


class DeskError(Exception):
    """A decision that cannot be made; the message is shown to the clerk."""


class AlreadyDecided(DeskError):
    pass


class CannotApprove(DeskError):
    pass


class CaseNotFound(DeskError):
    pass


class NotAllowed(DeskError):
    """The staff member's role may not decide this kind of case (core.domain.staff.may_decide)."""


def staff_of(session: Session, staff_id: int) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise DeskError(N_("your staff login is not active"))
    return staff


def require_role(staff: StaffUser, kind: str) -> None:
    """Every decision on a case passes here: the role rule lives in core.domain.staff, enforced on the server."""
    if not may_decide(staff.role, kind):
        raise NotAllowed(N_("only a supervisor may decide this kind of case"))


def open_case(session: Session, case_id: int) -> tuple[Case, Request | None]:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    if case.status != CaseStatus.OPEN:
        raise AlreadyDecided(N_("this case has been decided already"))
    return case, (session.get(Request, case.request_id) if case.request_id else None)


def member_for(session: Session, case: Case, request: Request | None) -> Member | None:
    """The register entry the case is about. Looked up again by number, so a corrected register counts."""
    member_id = case.member_id or (request.member_id if request else None)
    if member_id is not None:
        return session.get(Member, member_id)
    if request is not None:
        return session.scalar(select(Member).where(Member.member_number == request.member_number))
    return None


def claim(session: Session, case: Case, status: str, staff: StaffUser, reason: str, now: datetime) -> None:
    """Open → decided, once: a second or concurrent decision finds no open row and is refused."""
    claimed = session.scalar(
        update(Case).where(Case.id == case.id, Case.status == CaseStatus.OPEN)
        .values(status=status, decided_at=now, decided_by=staff.id, decision_reason=reason)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        raise AlreadyDecided(N_("this case has been decided already"))
    session.refresh(case)


def complete(request: Request | None, outcome: str, now: datetime) -> None:
    if request is not None:
        request.status, request.outcome, request.decided_at = RequestStatus.COMPLETED, outcome, now


def complete_joined(session: Session, case: Case, now: datetime) -> None:
    """Requests that joined an open case (R21: sent again, or while a letter was in the post) end when it is
    decided, with the outcome of the request that opened it."""
    first = session.get(Request, case.request_id) if case.request_id else None
    outcome = first.outcome if first is not None and first.status == RequestStatus.COMPLETED else str(case.status)
    joined = select(History.request_id).where(History.case_id == case.id, History.event == "case.request_joined")
    session.execute(update(Request).where(Request.id.in_(joined), Request.status != RequestStatus.COMPLETED)
                    .values(status=RequestStatus.COMPLETED, outcome=outcome, decided_at=now)
                    .execution_options(synchronize_session=False))


def record(session: Session, case: Case, actor: str, event: str, detail: str, audit_detail: dict[str, object],
           now: datetime) -> None:
    session.add(History(case_id=case.id, request_id=case.request_id, at=now, actor=actor, event=event, detail=detail))
    audit.record(session, audit.Entry(actor, event, case.member_id, f"case:{case.id}", audit_detail), now)


def note_on_case(session: Session, case_id: int, staff_id: int, event: str, detail: str,
                 audit_detail: dict[str, object], now: datetime) -> Case:
    """An action on an open case short of deciding it (an answer e-mailed, an address corrected): a history line
    and an audit event, by a staff member whose role may decide the case."""
    staff = staff_of(session, staff_id)
    case, _ = open_case(session, case_id)
    require_role(staff, case.kind)
    record(session, case, f"staff:{staff.username}", event, detail, audit_detail, now)
    return case
