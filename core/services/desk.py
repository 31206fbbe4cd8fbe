"""The staff desk: the list of cases, one case with everything needed to decide it, and the decision.

A decision is one transaction: the case changes from open exactly once (a conditional UPDATE, so two clerks
clicking at the same moment cannot both decide), the request is completed, a history line and an audit event
are written (R18), and the follow-up work (a code letter to the address on file, R1, or a neutral e-mail to the
requester) rides in the same commit through the outbox. Staff never see a code: it is drawn only when the letter
is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from core import audit, mail
from core.domain.staff import Cursor, decode_cursor, may_decide
from core.models import Case, History, Letter, Login, Member, Request, StaffUser
from core.services import case_kinds, codes

PAGE_SIZE = 50
COUNT_CAP = 10_000
STATUSES = ("open", "approved", "rejected", "closed")
KINDS = ("new_code", "code_exhausted", "trustee_code", "exceptional_registration", "stale_logins", "returned_mail",
         "support")
AGES = (1, 3, 7, 30)  # "older than N days" on the queue
NO_MEMBER = "no member with this number in the register"
# Kinds whose approval needs more than a note: their case_kinds/<kind>.html partial holds the approval form.
OWN_APPROVAL_FORM = frozenset({"trustee_code", "exceptional_registration", "stale_logins", "returned_mail"})
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


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    kind: str = ""
    member_number: str = ""
    older_than_days: int = 0  # 0: any age

    @classmethod
    def parse(cls, status: str | None, kind: str | None, member_number: str | None,
              age: str | None = None) -> Filters:
        """Anything unknown falls back to 'no filter', so an edited URL never breaks the page."""
        days = int(age) if age and age.isdigit() and int(age) in AGES else 0
        return cls(status if status in STATUSES else "open", kind if kind in KINDS else "",
                   (member_number or "").strip()[:20], days)


@dataclass(frozen=True)
class Row:
    id: int
    kind: str
    status: str
    why: str
    created_at: datetime
    decided_at: datetime | None
    member_number: str
    company: str
    reference: str


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    counts: dict[str, int]
    next_cursor: str | None = None
    prev_cursor: str | None = None


def member_cases_query(member_number: str) -> Select[tuple[int]]:
    """Known members are found through the case's member, unknown ones only through the number typed in the
    request. Both start from an index on the number; resolving them first gives the planner real ids."""
    by_member = select(Case.id).join(Member, Member.id == Case.member_id).where(Member.member_number == member_number)
    by_request = select(Case.id).join(Request, Request.id == Case.request_id).where(
        Request.member_number == member_number)
    return by_member.union(by_request)  # type: ignore[return-value]


def scope_of(session: Session, filters: Filters, now: datetime | None = None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.kind:
        where.append(Case.kind == filters.kind)
    if filters.older_than_days:
        if now is None:
            raise ValueError("the age filter needs the current time")
        # A range on created_at: the same index walk as the page itself.
        where.append(Case.created_at < now - timedelta(days=filters.older_than_days))
    if filters.member_number:
        where.append(Case.id.in_(list(session.scalars(member_cases_query(filters.member_number)))))
    return where


def counts(session: Session, filters: Filters, scope: list[ColumnElement[bool]] | None = None,
           now: datetime | None = None) -> dict[str, int]:
    """Cases per status, each counted up to COUNT_CAP: a bounded walk of the (status, created_at) index, so the
    tabs cost the same with 200,000 decided cases as with 200. The page shows "10000+" past the cap."""
    scope = scope_of(session, filters, now) if scope is None else scope
    found = {}
    for status in STATUSES:
        # Selecting only the indexed column lets PostgreSQL answer from the index alone.
        capped = (select(Case.status).where(Case.status == status, *scope)
                  .limit(COUNT_CAP + 1).subquery())
        found[status] = session.scalar(select(func.count()).select_from(capped)) or 0
    return found


def _beyond(cursor: Cursor, later: bool) -> ColumnElement[bool]:
    # The first comparison alone is a range on the (status, created_at) index; the second breaks ties by id.
    if later:
        return and_(Case.created_at >= cursor.created_at,
                    or_(Case.created_at > cursor.created_at, Case.id > cursor.id))
    return and_(Case.created_at <= cursor.created_at, or_(Case.created_at < cursor.created_at, Case.id < cursor.id))


def page_query(filters: Filters, scope: list[ColumnElement[bool]], cursor: Cursor | None, later: bool,
               limit: int) -> Select:
    """The rows of one page, walking the (status, created_at) index from the cursor, towards later or earlier."""
    query = (
        select(Case.id, Case.kind, Case.status, Case.why, Case.created_at, Case.decided_at,
               func.coalesce(Member.member_number, Request.member_number, ""),
               func.coalesce(Request.company_name, Member.name, ""), func.coalesce(Request.reference, ""))
        .outerjoin(Request, Request.id == Case.request_id)
        .outerjoin(Member, Member.id == Case.member_id)
        .where(Case.status == filters.status, *scope)
    )
    if cursor is not None:
        query = query.where(_beyond(cursor, later=later))
    order = (Case.created_at.asc(), Case.id.asc()) if later else (Case.created_at.desc(), Case.id.desc())
    return query.order_by(*order).limit(limit)


def list_cases(session: Session, filters: Filters, after: str | None = None, before: str | None = None,
               page_size: int = PAGE_SIZE, now: datetime | None = None) -> Page:
    """One page of cases: open ones oldest first (who waited longest comes first), decided ones newest first."""
    ascending = filters.status == "open"
    after_cursor, before_cursor = decode_cursor(after), decode_cursor(before)
    backwards = before_cursor is not None and after_cursor is None
    cursor = before_cursor if backwards else after_cursor
    scope = scope_of(session, filters, now)
    query = page_query(filters, scope, cursor, later=ascending != backwards, limit=page_size + 1)
    found = [Row(*r) for r in session.execute(query).tuples()]
    more = len(found) > page_size
    rows = found[:page_size]
    if backwards:
        rows.reverse()
    has_next, has_prev = (True, more) if backwards else (more, cursor is not None)
    return Page(
        rows=rows,
        counts=counts(session, filters, scope),
        next_cursor=Cursor(rows[-1].created_at, rows[-1].id).encode() if rows and has_next else None,
        prev_cursor=Cursor(rows[0].created_at, rows[0].id).encode() if rows and has_prev else None,
    )


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
        return self.case.status == "open" and self.member is not None


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
    return session.scalar(select(func.count()).where(Login.member_id == member.id, Login.status == "active")) or 0


def _letters(session: Session, member: Member | None) -> list[Letter]:
    """The member's latest letters (reference and state only; a code exists on paper and nowhere else)."""
    if member is None:
        return []
    return list(session.scalars(select(Letter).where(Letter.member_id == member.id)
                                .order_by(Letter.created_at.desc(), Letter.id.desc()).limit(10)))


def _claim(session: Session, case: Case, status: str, staff: StaffUser, reason: str, now: datetime) -> None:
    """Open → decided, once: a second or concurrent decision finds no open row and is refused."""
    claimed = session.scalar(
        update(Case).where(Case.id == case.id, Case.status == "open")
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
    if case.status != "open":
        raise AlreadyDecided("this case has been decided already")
    return case, (session.get(Request, case.request_id) if case.request_id else None)


def _complete(request: Request | None, outcome: str, now: datetime) -> None:
    if request is not None:
        request.status, request.outcome, request.decided_at = "completed", outcome, now


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


def reject(session: Session, case_id: int, staff_id: int, reason: str, now: datetime) -> None:
    """Close the case without a code; the requester gets a neutral e-mail in the request's language."""
    reason = reason.strip()
    if not reason:
        raise DeskError("a reason is needed to reject a case")
    staff = _staff(session, staff_id)
    case, request = _open_case(session, case_id)
    require_role(staff, case.kind)
    _claim(session, case, "rejected", staff, reason, now)
    _complete(request, "rejected", now)
    actor = f"staff:{staff.username}"
    _record(session, case, actor, "case.rejected", reason, {"kind": case.kind, "reason": reason}, now)
    if request is not None and request.requester_email:
        # Neutral on purpose: nothing about the member, its logins or the register reaches the requester.
        mail.queue(session, to=request.requester_email, name="staff_request_rejected", lang=request.language,
                   context={"reference": request.reference, "requester_name": request.requester_name},
                   key=f"case-rejected:{case.id}", now=now)


def _staff(session: Session, staff_id: int) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise DeskError("your staff login is not active")
    return staff


def require_role(staff: StaffUser, kind: str) -> None:
    """Every decision on a case passes here: the role rule lives in core.domain.staff, enforced on the server."""
    if not may_decide(staff.role, kind):
        raise NotAllowed("only a supervisor may decide this kind of case")


def close(session: Session, case_id: int, staff_id: int, note: str, now: datetime) -> None:
    """End a case with nothing more to do (a support request answered, a returned letter with no new one)."""
    staff = _staff(session, staff_id)
    case, request = _open_case(session, case_id)
    require_role(staff, case.kind)
    note = note.strip()
    _claim(session, case, "closed", staff, note, now)
    _complete(request, "closed", now)
    _record(session, case, f"staff:{staff.username}", "case.closed", note, {"kind": case.kind, "note": note}, now)


def note_on_case(session: Session, case_id: int, staff_id: int, event: str, detail: str,
                 audit_detail: dict[str, object], now: datetime) -> Case:
    """An action on an open case short of deciding it (an answer e-mailed, an address corrected): a history line
    and an audit event, by a staff member whose role may decide the case."""
    staff = _staff(session, staff_id)
    case, _ = _open_case(session, case_id)
    require_role(staff, case.kind)
    _record(session, case, f"staff:{staff.username}", event, detail, audit_detail, now)
    return case
