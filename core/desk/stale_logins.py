"""R17: on the member's request, the fund deactivates logins of people who have left, but only while the member
has no active administrator; otherwise the administrators do it themselves (Situation 1), and the refusal names
them. One case covers several logins; approving it ends them all at once (sessions too) and sends the member one
confirmation letter, without a code, to its address on file (R1).

The case is recorded by one clerk and approved by another (the desk refuses the recorder): ending someone's
access is as weighty as granting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.codes import codes
from core.desk import cases, documents, rejections
from core.desk.case_kind import CaseKind
from core.desk.casework import NO_MEMBER, CannotApprove
from core.domain import rights
from core.domain import stale_login_requests as stale_rules
from core.domain.deactivation import may_use
from core.domain.stale_login_requests import NamedLogin
from core.domain.states import CaseStatus, LoginStatus, RequestStatus
from core.logins import leaving
from core.members import signatories
from core.models import Case, Document, History, Letter, Login, Member, Request, StaffUser
from core.refusal import Problem, Refused
from core.translatable import N_

KIND = "stale_logins"
LETTER_KIND = "logins_deactivated"
WHY = N_("the member asks the fund to deactivate logins of people who have left")
NONE_LEFT = N_("none (all ended already)")  # a history line of a case whose logins had all ended before approval
HAS_ADMINISTRATORS = ("This member has an active administrator ({names}). The administrators deactivate logins "
                      "themselves (User administration → the person's login → Deactivate the login); ask the member "
                      "to contact them.")


@dataclass(frozen=True)
class MemberRequest:
    """How the member asked: a reference or note, and optionally the scanned letter."""

    note: str
    data: bytes = b""
    filename: str = ""


def active_administrators(session: Session, member_id: int, now: datetime) -> list[Login]:
    """Administrators who can act today: they, not the fund, deactivate logins (R17)."""
    found = session.scalars(select(Login).where(Login.member_id == member_id, Login.status == LoginStatus.ACTIVE)
                            .order_by(Login.name, Login.id))
    return [login for login in found
            if rights.is_administrator(list(login.rights)) and may_use(login.status, login.last_day, now)]


def logins_of(session: Session, member_id: int) -> list[Login]:
    return list(session.scalars(select(Login).where(Login.member_id == member_id).order_by(Login.name, Login.id)))


def administrators_problem(session: Session, member_id: int, now: datetime) -> Problem | None:
    admins = active_administrators(session, member_id, now)
    if not admins:
        return None
    return Problem("logins", HAS_ADMINISTRATORS, (("names", ", ".join(a.name for a in admins)),))


def _chosen(session: Session, member_id: int, login_ids: Sequence[int]) -> tuple[list[Login], list[Problem]]:
    if not login_ids:
        return [], [Problem("logins", N_("Choose at least one login to deactivate"))]
    found = {login.id: login for login in session.scalars(select(Login).where(Login.id.in_(login_ids)))}
    chosen = [found.get(i) for i in dict.fromkeys(login_ids)]
    if any(login is None or login.member_id != member_id for login in chosen):
        return [], [Problem("logins", N_("Choose logins of this member only"))]
    problems = [Problem("logins", N_("{name}'s login is deactivated already"), (("name", login.name),))
                for login in chosen if login is not None and login.status == LoginStatus.DEACTIVATED]
    return [login for login in chosen if login is not None], problems


def _waiting(session: Session, member_id: int, chosen: Sequence[Login]) -> list[Problem]:
    """Logins an open case already asks to deactivate: the same request recorded twice must not become two cases
    and two letters."""
    problems = []
    for case in session.scalars(select(Case).where(Case.kind == KIND, Case.status == CaseStatus.OPEN,
                                                   Case.member_id == member_id).order_by(Case.id)):
        asked = set((case.payload or {}).get("login_ids", []))
        waiting = N_("Case {case} already asks to deactivate {name}'s login and waits for approval.")
        problems += [Problem("logins", waiting, (("case", str(case.id)), ("name", login.name)))
                     for login in chosen if login.id in asked]
    return problems


def record(session: Session, staff_id: int, member_number: str, login_ids: Sequence[int], asked: MemberRequest,
           now: datetime) -> int:
    """Check and open the case for a second clerk; returns the case id. Refused while an administrator exists."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise Refused([Problem("", N_("Your staff login is not active."))])
    member = signatories.member_by_number(session, member_number)
    if member is None:
        raise Refused([Problem("member_number", "No member with this number in the register.")])
    if (blocked := administrators_problem(session, member.id, now)) is not None:
        raise Refused([blocked])
    chosen, problems = _chosen(session, member.id, login_ids)
    problems += _waiting(session, member.id, chosen)
    note = asked.note.strip()
    if not note or len(note) > 2000:
        problems.append(Problem("note", N_("Enter the member's request: its reference or a short note "
                                           "(at most 2000 characters)")))
    if asked.data:
        try:
            documents.check_pdf(asked.data)
        except documents.DocumentRejected as exc:
            problems.append(Problem("letter", N_("The letter cannot be kept: {reason}"), (("reason", str(exc)),)))
    if problems:
        raise Refused(problems)
    actor = f"staff:{staff.username}"
    document = (documents.store(session, asked.data, asked.filename, "official_letter", actor, now)
                if asked.data else None)
    case = cases.open_case(session, kind=KIND, why=WHY, now=now, member_id=member.id)
    case.recorded_by, case.document_id = staff.id, document.id if document else None
    case.payload = {"login_ids": [login.id for login in chosen], "names": [login.name for login in chosen],
                    "note": note}
    session.add(History(case_id=case.id, at=now, actor=actor, event="case.recorded",
                        detail=f"deactivate {', '.join(login.name for login in chosen)} – {note}"))
    audit.record(session, audit.Entry(actor, "stale_logins.recorded", member.id, f"case:{case.id}",
                                      {"login_ids": [login.id for login in chosen]}), now)
    return case.id


# --- a request the member sent itself (public form or API) -------------------------------------------------------

NOT_CONFIRMED = N_("confirm which of the member's logins to deactivate first")


def prepare_case(session: Session, case: Case, request: Request) -> None:
    """The case of a member's own request: the rows as the member listed them, and the member's logins they name,
    proposed to the clerk, who confirms the choice (and so records the case) before another approves."""
    asked = [NamedLogin(**row) for row in (request.details or {}).get("logins", [])]
    proposed = []
    if case.member_id is not None:
        proposed = stale_rules.matched_ids(asked, [(login.id, login.name, login.email)
                                                   for login in logins_of(session, case.member_id)
                                                   if login.status != LoginStatus.DEACTIVATED])
    case.payload = {"asked": [row.as_details() for row in asked], "proposed_ids": proposed, "login_ids": [],
                    "names": [], "note": f"{request.reference}: {request.reason}"}


def asked_rows(case: Case) -> list[NamedLogin]:
    return stale_rules.listed(case.payload or {})


def confirm(session: Session, case_id: int, staff_id: int, login_ids: Sequence[int], now: datetime) -> None:
    """A clerk confirms which logins a member's own request names: the case is then recorded by that clerk and
    waits for another to approve (four eyes, as for a case a clerk records from a letter)."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise Refused([Problem("", N_("Your staff login is not active."))])
    case = session.get(Case, case_id, with_for_update=True)
    if case is None or case.kind != KIND or case.status != CaseStatus.OPEN or case.recorded_by is not None:
        raise Refused([Problem("logins", N_("This case is decided, or its logins are confirmed already."))])
    if case.member_id is None:
        raise Refused([Problem("logins", "No member with this number in the register.")])
    if (blocked := administrators_problem(session, case.member_id, now)) is not None:
        raise Refused([blocked])
    chosen, problems = _chosen(session, case.member_id, login_ids)
    if problems:
        raise Refused(problems)
    if problems := _waiting(session, case.member_id, chosen):
        raise Refused(problems)
    actor = f"staff:{staff.username}"
    case.recorded_by = staff.id
    case.payload = {**case.payload, "login_ids": [login.id for login in chosen],
                    "names": [login.name for login in chosen]}
    session.add(History(case_id=case.id, request_id=case.request_id, at=now, actor=actor, event="case.recorded",
                        detail=f"deactivate {', '.join(login.name for login in chosen)}"))
    audit.record(session, audit.Entry(actor, "stale_logins.recorded", case.member_id, f"case:{case.id}",
                                      {"login_ids": [login.id for login in chosen]}), now)


def approve_case(session: Session, case: Case, request: Request | None, staff: StaffUser, note: str,
                 details: object, now: datetime) -> int | None:
    """Called by desk.approve after it claimed the case (confirmed by another clerk, CASE.needs_recorder): check
    again, end the logins, queue the one letter."""
    member = session.get(Member, case.member_id) if case.member_id else None
    if member is None:
        raise CannotApprove(NO_MEMBER)
    # Two approvals for the same member take turns, so an administrator registered meanwhile is seen.
    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    if (blocked := administrators_problem(session, member.id, now)) is not None:
        raise CannotApprove(str(blocked))
    actor = f"staff:{staff.username}"
    ended = [login for login in logins_of(session, member.id)
             if login.id in case.payload["login_ids"] and login.status != LoginStatus.DEACTIVATED]
    for login in ended:
        leaving.end_now(session, login, actor, now)
    letter_id = queue_letter(session, member, now, actor)
    names = [login.name for login in ended]
    case.payload = {**case.payload, "deactivated": names, "letter_id": letter_id}
    if request is not None:
        request.status, request.outcome, request.decided_at = RequestStatus.COMPLETED, "logins_deactivated", now
    reference = session.scalar(select(Letter.reference).where(Letter.id == letter_id))
    detail = f"deactivated {', '.join(names) or NONE_LEFT}; confirmation letter {reference}" + (
        f" – {note}" if note else "")
    session.add(History(case_id=case.id, at=now, actor=actor, event="case.approved", detail=detail))
    audit.record(session, audit.Entry(actor, "case.approved", member.id, f"case:{case.id}",
                                      {"kind": KIND, "login_ids": [login.id for login in ended],
                                       "letter_id": letter_id, "note": note}), now)
    return letter_id


def queue_letter(session: Session, member: Member, now: datetime, actor: str = "system") -> int:
    """The confirmation letter: no code, to the address on file, rendered by the worker."""
    return codes.issue_letter_without_code(session, member, LETTER_KIND, now, actor=actor)


def letter_names(session: Session, letter_id: int) -> list[str]:
    """The names a logins_deactivated letter lists, for the letter pipeline: kept on the case that sent it, or, for
    a letter sent again after the first came back (returned mail), on the case that sent the first."""
    member_id = session.scalar(select(Letter.member_id).where(Letter.id == letter_id))
    found = session.scalars(select(Case).where(Case.kind.in_((KIND, "returned_mail")),
                                               Case.status == CaseStatus.APPROVED,
                                               Case.member_id == member_id).order_by(Case.id))
    for case in found:
        payload = case.payload or {}
        if case.kind == KIND and payload.get("letter_id") == letter_id:
            return [str(name) for name in payload.get("deactivated", [])]
        if case.kind != KIND and payload.get("new_letter_id") == letter_id and payload.get("letter_id") != letter_id:
            return letter_names(session, int(payload["letter_id"]))
    return []


@dataclass(frozen=True)
class Facts:
    """What the case page shows beside the desk's own view."""

    document: Document | None
    logins: list[Login]  # the logins the case ends
    administrators: list[Login]
    member_logins: list[Login]  # from the member's own request: all its logins, to confirm the listed ones
    asked: list[tuple[str, list[str]]]  # each row as the member listed it, with the names of the logins it matches


def case_facts(session: Session, case: Case, now: datetime) -> Facts:
    document = session.get(Document, case.document_id) if case.document_id else None
    if case.member_id is None:  # the listed names are still shown: staff reject with them in view
        return Facts(document, [], [], [], [(row.label(), []) for row in asked_rows(case)])
    chosen = set(case.payload.get("login_ids", []))
    member_logins = logins_of(session, case.member_id)
    asked = [(row.label(), [login.name for login in member_logins
                            if stale_rules.matches(row, login.name, login.email)]) for row in asked_rows(case)]
    return Facts(document, [login for login in member_logins if login.id in chosen],
                 active_administrators(session, case.member_id, now), member_logins, asked)


CASE = CaseKind(KIND, approve=approve_case, facts=case_facts, reject=rejections.by_letter,
                needs_recorder=NOT_CONFIRMED, own_approval_form=True)
