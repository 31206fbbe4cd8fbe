"""The staff desk: one case with everything needed to decide it, and the decision (the list is desk_queue).

A decision is one transaction: the case changes from open exactly once (a conditional UPDATE, so two clerks
clicking at the same moment cannot both decide), the request is completed, a history line and an audit event
are written (R18), and the follow-up work (a code letter to the address on file, R1, or a neutral e-mail to the
requester) rides in the same commit through the outbox. Staff never see a code: it is drawn only when the letter
is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core import audit, mail
from core.domain.staff import may_decide
from core.domain.states import CaseStatus, LoginStatus, RequestStatus
from core.models import Case, History, Letter, Login, Member, Request, StaffUser
from core.services import case_kinds, codes, rejections

# The queue lives in its own module; its names stay reachable here, where views and tests look for the desk.
from core.services.desk_queue import (  # noqa: F401
    AGES,
    COUNT_CAP,
    KINDS,
    PAGE_SIZE,
    STATUSES,
    Filters,
    Page,
    Row,
    counts,
    list_cases,
    member_cases_query,
    page_query,
    scope_of,
)
from core.translatable import N_

NO_MEMBER = "no member with this number in the register"
# Kinds whose approval needs more than a note: their case_kinds/<kind>.html partial holds the approval form.
OWN_APPROVAL_FORM = frozenset({"trustee_code", "exceptional_registration", "stale_logins", "returned_mail",
                               "power_of_attorney"})
# Kinds that end by closing (answered, or nothing more to send) rather than by rejecting a request.
CLOSE_ONLY = frozenset({"support", "returned_mail"})


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


@dataclass
class CaseView:
    """Everything the clerk needs to decide a case, loaded up front (the template touches no lazy relations)."""

    case: Case
    request: Request | None
    member: Member | None
    address: list[str]
    history: list[History]
    decided_by: StaffUser | None
    active_logins: int
    uid_matches: bool | None
    letters: list[Letter] = field(default_factory=list)

    @property
    def can_approve(self) -> bool:
        return self.case.status == CaseStatus.OPEN and self.member is not None


def member_for(session: Session, case: Case, request: Request | None) -> Member | None:
    """The register entry the case is about. Looked up again by number, so a corrected register counts."""
    member_id = case.member_id or (request.member_id if request else None)
    if member_id is not None:
        return session.get(Member, member_id)
    if request is not None:
        return session.scalar(select(Member).where(Member.member_number == request.member_number))
    return None


def case_view(session: Session, case_id: int) -> CaseView:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    request = session.get(Request, case.request_id) if case.request_id else None
    member = member_for(session, case, request)
    return CaseView(
        case=case,
        request=request,
        member=member,
        address=codes.address_on_file(member).lines() if member else [],
        history=_history(session, case),
        decided_by=session.get(StaffUser, case.decided_by) if case.decided_by else None,
        active_logins=_active_logins(session, member),
        uid_matches=(_uid_key(request.uid) == _uid_key(member.uid)) if request and member else None,
        letters=_letters(session, member),
    )


def _uid_key(uid: str) -> str:
    return "".join(ch for ch in uid.upper() if ch.isalnum())


def _history(session: Session, case: Case) -> list[History]:
    about = History.case_id == case.id
    if case.request_id is not None:
        about = or_(about, History.request_id == case.request_id)
    return list(session.scalars(select(History).where(about).order_by(History.at, History.id)))


def _active_logins(session: Session, member: Member | None) -> int:
    if member is None:
        return 0
    return session.scalar(select(func.count()).where(Login.member_id == member.id,
                                                     Login.status == LoginStatus.ACTIVE)) or 0


def _letters(session: Session, member: Member | None) -> list[Letter]:
    """The member's latest letters (reference and state only; a code exists on paper and nowhere else)."""
    if member is None:
        return []
    return list(session.scalars(select(Letter).where(Letter.member_id == member.id)
                                .order_by(Letter.created_at.desc(), Letter.id.desc()).limit(10)))


def _claim(session: Session, case: Case, status: str, staff: StaffUser, reason: str, now: datetime) -> None:
    """Open → decided, once: a second or concurrent decision finds no open row and is refused."""
    claimed = session.scalar(
        update(Case).where(Case.id == case.id, Case.status == CaseStatus.OPEN)
        .values(status=status, decided_at=now, decided_by=staff.id, decision_reason=reason)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        raise AlreadyDecided("this case has been decided already")
    session.refresh(case)


def _open_case(session: Session, case_id: int) -> tuple[Case, Request | None]:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    if case.status != CaseStatus.OPEN:
        raise AlreadyDecided("this case has been decided already")
    return case, (session.get(Request, case.request_id) if case.request_id else None)


def _complete(request: Request | None, outcome: str, now: datetime) -> None:
    if request is not None:
        request.status, request.outcome, request.decided_at = RequestStatus.COMPLETED, outcome, now


def _record(session: Session, case: Case, actor: str, event: str, detail: str, audit_detail: dict[str, object],
            now: datetime) -> None:
    session.add(History(case_id=case.id, request_id=case.request_id, at=now, actor=actor, event=event, detail=detail))
    audit.record(session, audit.Entry(actor, event, case.member_id, f"case:{case.id}", audit_detail), now)


def approve(session: Session, case_id: int, staff_id: int, note: str, now: datetime) -> int | None:
    """Issue a code letter to the member's address on file (R1), or do what the case's kind asks. Returns the id
    of the letter it caused, if any."""
    staff = _staff(session, staff_id)
    case, request = _open_case(session, case_id)
    require_role(staff, case.kind)
    if case.recorded_by is not None and case.recorded_by == staff.id:
        raise CannotApprove("you recorded this case; another staff member must approve it")  # R16: four eyes
    note = note.strip()
    special = case_kinds.approver_for(case.kind)
    if special is None and case.kind in CLOSE_ONLY:
        raise CannotApprove(N_("this kind of case is answered and closed, not approved"))
    if special is not None:
        _claim(session, case, "approved", staff, note, now)
        return special(session, case, request, staff, note, now)
    member = member_for(session, case, request)
    if member is None:
        raise CannotApprove(NO_MEMBER)
    _claim(session, case, "approved", staff, note, now)
    case.member_id = member.id
    if request is not None and request.member_id is None:
        request.member_id = member.id
    if case.kind == "code_exhausted":
        member.code_failures = 0  # R3: only a person's decision lifts the block
    actor = f"staff:{staff.username}"
    letter_id = codes.issue_letter(session, member, "new_code", now, actor=actor, request_id=case.request_id)
    _complete(request, "code_issued", now)
    reference = session.scalar(select(Letter.reference).where(Letter.id == letter_id))
    detail = f"code letter {reference} to the address on file" + (f" – {note}" if note else "")
    _record(session, case, actor, "case.approved", detail,
            {"kind": case.kind, "letter_id": letter_id, "note": note}, now)
    return letter_id


@dataclass(frozen=True)
class Rejection:
    """Who was told of a rejection, so that the page says exactly that."""

    letter_reference: str = ""  # a letter to the member's address on file (R16, R17)
    requester_mailed: bool = False  # a neutral e-mail to the address the requester gave


def reject(session: Session, case_id: int, staff_id: int, reason: str, now: datetime) -> Rejection:
    """Close the case without a code. A member that asked in its own letter (R16, R17) is told by letter to its
    address on file, with the reason; a requester who gave an e-mail address gets a neutral e-mail in the request's
    language."""
    reason = reason.strip()
    if not reason:
        raise DeskError(N_("a reason is needed to reject a case"))
    staff = _staff(session, staff_id)
    case, request = _open_case(session, case_id)
    require_role(staff, case.kind)
    _claim(session, case, "rejected", staff, reason, now)
    _complete(request, "rejected", now)
    actor = f"staff:{staff.username}"
    letter = None
    member = member_for(session, case, request) if case.kind in rejections.KINDS else None
    if member is not None:
        letter = rejections.queue_letter(session, case, member, actor, now)
    audit_detail: dict[str, object] = {"kind": case.kind, "reason": reason}
    if letter is not None:
        audit_detail["letter_id"] = letter.id
    _record(session, case, actor, "case.rejected", reason, audit_detail, now)
    mailed = request is not None and bool(request.requester_email)
    if request is not None and request.requester_email:
        # Neutral on purpose: nothing about the member, its logins or the register reaches the requester.
        mail.queue(session, to=request.requester_email, name="staff_request_rejected", lang=request.language,
                   context={"reference": request.reference, "requester_name": request.requester_name},
                   key=f"case-rejected:{case.id}", now=now)
    return Rejection(letter.reference if letter is not None else "", mailed)


def _staff(session: Session, staff_id: int) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise DeskError(N_("your staff login is not active"))
    return staff


def require_role(staff: StaffUser, kind: str) -> None:
    """Every decision on a case passes here: the role rule lives in core.domain.staff, enforced on the server."""
    if not may_decide(staff.role, kind):
        raise NotAllowed("only a supervisor may decide this kind of case")


def close(session: Session, case_id: int, staff_id: int, note: str, now: datetime) -> tuple[Case, str]:
    """End a case with nothing more to do (a support request answered, a returned letter with no new one); returns
    the case and the staff member as the audit names them. core.services.case_closing adds what a kind needs."""
    staff = _staff(session, staff_id)
    case, request = _open_case(session, case_id)
    require_role(staff, case.kind)
    if case.kind not in CLOSE_ONLY:
        # A request for access ends approved or rejected: rejecting tells the requester, closing would not.
        raise DeskError(N_("this kind of case is approved or rejected, not closed"))
    note = note.strip()
    _claim(session, case, "closed", staff, note, now)
    _complete(request, "closed", now)
    actor = f"staff:{staff.username}"
    _record(session, case, actor, "case.closed", note, {"kind": case.kind, "note": note}, now)
    return case, actor


def note_on_case(session: Session, case_id: int, staff_id: int, event: str, detail: str,
                 audit_detail: dict[str, object], now: datetime) -> Case:
    """An action on an open case short of deciding it (an answer e-mailed, an address corrected): a history line
    and an audit event, by a staff member whose role may decide the case."""
    staff = _staff(session, staff_id)
    case, _ = _open_case(session, case_id)
    require_role(staff, case.kind)
    _record(session, case, f"staff:{staff.username}", event, detail, audit_detail, now)
    return case
