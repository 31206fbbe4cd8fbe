"""The staff desk: one case with everything needed to decide it, and the decision (the list is desk_queue).

A decision is one transaction: the case changes from open exactly once (a conditional UPDATE, so two clerks
clicking at the same moment cannot both decide), the request is completed, a history line and an audit event
are written (R18), and the follow-up work (a code letter to the address on file, R1, or a neutral e-mail to the
requester) rides in the same commit through the outbox. Staff never see a code: it is drawn only when the letter
is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import mail
from core.codes import codes
from core.desk import casework, kinds
from core.desk.case_kind import CaseKind

# The shared steps and the queue live in their own modules; their names stay reachable here, where views and
# tests look for the desk.
from core.desk.casework import (  # noqa: F401
    NO_MEMBER,
    RECORDED_BY_YOU,
    AlreadyDecided,
    CannotApprove,
    CaseNotFound,
    DeskError,
    NotAllowed,
    member_for,
    note_on_case,
    require_role,
)
from core.desk.desk_queue import (  # noqa: F401
    AGES,
    COUNT_CAP,
    KINDS,
    PAGE_SIZE,
    SEARCH_IDS_CAP,
    STATUSES,
    Filters,
    Page,
    Row,
    counts,
    found_cases,
    list_cases,
    member_cases_query,
    page_query,
    scope_of,
    search_cases_query,
)
from core.domain.states import CaseStatus, LoginStatus
from core.models import Case, History, Letter, Login, Member, Request, StaffUser
from core.translatable import N_


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
    kind: CaseKind
    facts: Any = None  # what only this kind shows (CaseKind.facts), for its partial
    # The staff members the history names ("staff:<username>"), as the decision names them: "Name (username)".
    actors: dict[str, str] = field(default_factory=dict)
    letters: list[Letter] = field(default_factory=list)

    @property
    def can_approve(self) -> bool:
        return self.case.status == CaseStatus.OPEN and self.member is not None


def case_view(session: Session, case_id: int, now: datetime) -> CaseView:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}")
    request = session.get(Request, case.request_id) if case.request_id else None
    member = member_for(session, case, request)
    kind = kinds.of(case.kind)
    history = _history(session, case)
    return CaseView(
        case=case,
        request=request,
        member=member,
        address=codes.address_on_file(member).lines() if member else [],
        history=history,
        decided_by=session.get(StaffUser, case.decided_by) if case.decided_by else None,
        active_logins=_active_logins(session, member),
        uid_matches=(_uid_key(request.uid) == _uid_key(member.uid)) if request and member else None,
        kind=kind,
        facts=kind.facts_of(session, case, now),
        actors=_staff_names(session, history),
        letters=_letters(session, member),
    )


def _uid_key(uid: str) -> str:
    return "".join(ch for ch in uid.upper() if ch.isalnum())


def _history(session: Session, case: Case) -> list[History]:
    about = History.case_id == case.id
    if case.request_id is not None:
        about = or_(about, History.request_id == case.request_id)
    return list(session.scalars(select(History).where(about).order_by(History.at, History.id)))


def _staff_names(session: Session, history: list[History]) -> dict[str, str]:
    usernames = {line.actor.removeprefix("staff:") for line in history if line.actor.startswith("staff:")}
    if not usernames:
        return {}
    found = session.scalars(select(StaffUser).where(StaffUser.username.in_(usernames)))
    return {f"staff:{staff.username}": f"{staff.name} ({staff.username})" for staff in found}


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


def _deciding(session: Session, case_id: int, staff_id: int) -> tuple[StaffUser, Case, Request | None, CaseKind]:
    """Who decides which open case, of which kind; refused here when the role may not decide it."""
    staff = casework.staff_of(session, staff_id)
    case, request = casework.open_case(session, case_id)
    require_role(staff, case.kind)
    return staff, case, request, kinds.of(case.kind)


def approve(session: Session, case_id: int, staff_id: int, note: str, now: datetime,
            details: object = None) -> int | None:
    """Issue a code letter to the member's address on file (R1), or do what the case's kind asks with what the
    clerk confirmed on its form (`details`). Returns the id of the letter it caused, if any."""
    staff, case, request, kind = _deciding(session, case_id, staff_id)
    if kind.needs_recorder and case.recorded_by is None:
        raise CannotApprove(kind.needs_recorder)
    if case.recorded_by is not None and case.recorded_by == staff.id:
        raise CannotApprove(RECORDED_BY_YOU)  # four eyes (R16, R17, an address on a returned letter)
    if not kind.may_approve:
        raise CannotApprove(N_("this kind of case is answered and closed, not approved"))
    note = note.strip()
    if kind.approve is not None:
        casework.claim(session, case, CaseStatus.APPROVED, staff, note, now)
        result = kind.approve(session, case, request, staff, note, details, now)
        casework.complete_joined(session, case, now)
        return result
    member = member_for(session, case, request)
    if member is None:
        raise CannotApprove(NO_MEMBER)
    casework.claim(session, case, CaseStatus.APPROVED, staff, note, now)
    case.member_id = member.id
    if request is not None and request.member_id is None:
        request.member_id = member.id
    if case.kind == kinds.CODE_EXHAUSTED.name:
        member.code_failures = 0  # R3: only a person's decision lifts the block
    actor = f"staff:{staff.username}"
    letter_id = codes.issue_letter(session, member, "new_code", now, actor=actor, request_id=case.request_id)
    casework.complete(request, "code_issued", now)
    casework.complete_joined(session, case, now)
    reference = session.scalar(select(Letter.reference).where(Letter.id == letter_id))
    detail = f"code letter {reference} to the address on file" + (f" – {note}" if note else "")
    casework.record(session, case, actor, "case.approved", detail,
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
    staff, case, request, kind = _deciding(session, case_id, staff_id)
    if not kind.may_reject:
        # A request for access ends approved or rejected; these end by closing.
        raise DeskError(N_("this kind of case is closed, not rejected"))
    casework.claim(session, case, CaseStatus.REJECTED, staff, reason, now)
    casework.complete(request, "rejected", now)
    casework.complete_joined(session, case, now)
    actor = f"staff:{staff.username}"
    reference = ""
    if kind.reject is not None:
        reference = kind.reject(session, case, member_for(session, case, request), actor, now)
    audit_detail: dict[str, object] = {"kind": case.kind, "reason": reason}
    if reference:
        audit_detail["letter_id"] = case.payload.get("rejection_letter_id")
    casework.record(session, case, actor, "case.rejected", reason, audit_detail, now)
    mailed = request is not None and bool(request.requester_email)
    if request is not None and request.requester_email:
        # Neutral on purpose: nothing about the member, its logins or the register reaches the requester.
        mail.queue(session, to=request.requester_email, name="staff_request_rejected", lang=request.language,
                   context={"reference": request.reference, "requester_name": request.requester_name,
                            "topic": case.kind},
                   key=f"case-rejected:{case.id}", now=now)
    return Rejection(reference, mailed)


def close(session: Session, case_id: int, staff_id: int, note: str, now: datetime) -> Case:
    """End a case with nothing more to do (a support request answered, a returned letter with no new one), and
    what closing means for its kind."""
    staff, case, request, kind = _deciding(session, case_id, staff_id)
    if not kind.may_close:
        # A request for access ends approved or rejected: rejecting tells the requester, closing would not.
        raise DeskError(N_("this kind of case is approved or rejected, not closed"))
    note = note.strip()
    casework.claim(session, case, CaseStatus.CLOSED, staff, note, now)
    casework.complete(request, "closed", now)
    casework.complete_joined(session, case, now)
    actor = f"staff:{staff.username}"
    casework.record(session, case, actor, "case.closed", note, {"kind": case.kind, "note": note}, now)
    if kind.close is not None:
        kind.close(session, case, actor, now)
    return case
