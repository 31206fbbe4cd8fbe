"""Situation 3 (b), R15: a member's written request that the fund send a code directly to its trustee, with the
power of attorney attached, and its approval by staff.

Intake is one transaction: the PDF (checked by its content), the request with the trustee's details, and its
decision task. Staff approval records the power of attorney (unless a current one is on record) and issues the
code, whose letter goes to the trustee's address as the fund records it (R1), in the trustee's language,
naming the member it is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, outbox, refs
from core.codes import codes
from core.desk import documents
from core.desk.case_kind import CaseKind
from core.desk.casework import NO_MEMBER, CannotApprove, member_for
from core.desk.requests import DECIDE_TASK, TRUSTEE_CODE, active_administrators
from core.domain import mandates as poa_rules
from core.domain.requests import PublicStatus
from core.domain.states import RequestStatus
from core.domain.trustee_requests import TrusteeCodeRequest
from core.models import Case as StaffCase
from core.models import Document, History, Letter, Member, PowerOfAttorney, Request, StaffUser, Trustee
from core.translatable import N_
from core.trustees import mandates, trustees

KIND = TRUSTEE_CODE


def submit(session: Session, command: TrusteeCodeRequest, pdf: bytes, filename: str, now: datetime) -> str:
    """Store the power of attorney and the request, and queue its decision; returns the reference. Raises
    documents.DocumentRejected before anything is written. Whether the member has an active administrator is
    decided later, like every request, so the answer here reads the same whatever matched (R21)."""
    member_part = command.member
    document = documents.store(session, pdf, filename, "power_of_attorney", "requester", now)
    request = Request(
        reference=refs.new("R"), kind=KIND, status=PublicStatus.RECEIVED.value, outcome="",
        member_number=member_part.member_number, uid=member_part.uid, company_name=member_part.company_name,
        requester_name=member_part.requester_name, requester_role=member_part.requester_role,
        requester_email=member_part.requester_email, requester_phone=member_part.requester_phone,
        reason=member_part.reason, administrators_cannot_help=False, language=member_part.language,
        received_at=now, details=command.trustee.as_details(), document_id=document.id)
    session.add(request)
    session.flush()
    audit.record(session, audit.Entry("requester", "document.received", None, f"request:{request.reference}",
                                      {"kind": "power_of_attorney", "document_id": document.id,
                                       "sha256": document.sha256}), now)
    outbox.add(session, DECIDE_TASK, {"request_id": request.id}, key=f"decide:{request.id}", now=now)
    return request.reference


# --- Staff approval --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmed:
    """What the clerk confirmed on the case page, kept in the case's payload until the desk approves."""

    trustee: trustees.Company
    scope: list[str]
    valid_from: date
    valid_until: date | None
    received_on: date

    def as_payload(self) -> dict[str, Any]:
        return {"trustee": self.trustee.as_payload(), "poa": {
            "scope": self.scope, "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "received_on": self.received_on.isoformat()}}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Confirmed:
        poa = payload["poa"]
        return cls(trustees.Company.from_payload(payload["trustee"]), list(poa["scope"]),
                   date.fromisoformat(poa["valid_from"]),
                   date.fromisoformat(poa["valid_until"]) if poa.get("valid_until") else None,
                   date.fromisoformat(poa["received_on"]))


def approve_case(session: Session, case: StaffCase, request: Request | None, staff: StaffUser, note: str,
                 details: object, now: datetime) -> int | None:
    """Called by desk.approve after it claimed the case, with what the clerk confirmed against the PDF (`details`,
    kept in the case); raising undoes the claim. Returns the letter's id."""
    if isinstance(details, Confirmed):
        case.payload = {**case.payload, **details.as_payload()}
    if "poa" not in case.payload or "trustee" not in case.payload:
        raise CannotApprove(N_("confirm the trustee company and the power of attorney first"))
    member = member_for(session, case, request)
    if member is None:
        raise CannotApprove(NO_MEMBER)
    if active_administrators(session, member.id, now):
        raise CannotApprove(N_("the member has an active administrator, who can give the trustee access (way (a))"))
    actor = f"staff:{staff.username}"
    confirmed = Confirmed.from_payload(case.payload)
    trustee = _trustee(session, confirmed, actor, now, CannotApprove)
    poa_id = _power_of_attorney(session, member, trustee, confirmed, case, actor, now, CannotApprove)
    letter_id = codes.issue_trustee_letter(session, member, trustee, now, actor, request_id=case.request_id)
    case.member_id = member.id
    if request is not None:
        request.member_id = member.id
        request.status, request.outcome, request.decided_at = RequestStatus.COMPLETED, "trustee_code_issued", now
    reference = session.scalar(select(Letter.reference).where(Letter.id == letter_id))
    detail = f"trustee code letter {reference} to {trustee.name}, {trustee.postcode} {trustee.town}"
    session.add(History(case_id=case.id, request_id=case.request_id, at=now, actor=actor, event="case.approved",
                        detail=detail + (f" – {note}" if note else "")))
    audit.record(session, audit.Entry(actor, "case.approved", member.id, f"case:{case.id}",
                                      {"kind": KIND, "letter_id": letter_id, "trustee_id": trustee.id,
                                       "poa_id": poa_id, "note": note}), now)
    return letter_id


def _trustee(session: Session, confirmed: Confirmed, actor: str, now: datetime, refuse: type[Exception]) -> Trustee:
    """The company on file by its UID (its recorded address stays, R1), or a new one as staff confirmed it."""
    try:
        return trustees.find_or_create(session, confirmed.trustee, now=now, actor=actor)
    except trustees.InvalidTrustee as exc:
        raise refuse(exc.message) from exc


def _power_of_attorney(session: Session, member: Member, trustee: Trustee, confirmed: Confirmed, case: StaffCase,
                       actor: str, now: datetime, refuse: type[Exception]) -> int:
    """R14/R15: a current power of attorney on record, or the attached one recorded now as staff confirmed it."""
    current = mandates.current_powers(session, member.id, trustee.id, now)
    if current:
        return current[-1].id
    try:
        checked = poa_rules.check_new(poa_rules.NewPowerOfAttorney(
            confirmed.valid_from, confirmed.valid_until, confirmed.received_on, tuple(confirmed.scope)),
            poa_rules.zurich_day(now))
    except poa_rules.InvalidPowerOfAttorney as exc:
        raise refuse(exc.message) from exc
    state = poa_rules.PowerOfAttorneyState(checked.valid_from, checked.valid_until, None, frozenset(checked.scope))
    if not poa_rules.is_current(state, now):
        raise refuse(N_("the power of attorney is not current today: a code goes to a trustee only with a current one"))
    poa = PowerOfAttorney(member_id=member.id, trustee_id=trustee.id, scope=list(checked.scope),
                          valid_from=checked.valid_from, valid_until=checked.valid_until,
                          document_id=case.document_id, received_on=checked.received_on, recorded_by=actor,
                          recorded_at=now)
    session.add(poa)
    session.flush()
    audit.record(session, audit.Entry(actor, "power_of_attorney.recorded", member.id, f"poa:{poa.id}", {
        "trustee_uid": trustee.uid, "scope": list(checked.scope), "valid_from": checked.valid_from.isoformat(),
        "valid_until": checked.valid_until.isoformat() if checked.valid_until else None,
        "document_id": case.document_id, "case_id": case.id}), now)
    return poa.id


@dataclass(frozen=True)
class Facts:
    """What the case page shows beside the desk's own view."""

    details: dict[str, Any]
    document: Document | None
    trustee_on_file: Trustee | None  # known by its UID: the letter goes to this address (R1)
    trustee_address: list[str]
    current_powers: list[PowerOfAttorney]
    administrators: list[str]


def case_facts(session: Session, case: StaffCase, now: datetime) -> Facts:
    request = session.get(Request, case.request_id) if case.request_id else None
    details = dict(request.details) if request else {}
    trustee = session.scalar(select(Trustee).where(Trustee.uid == details.get("trustee_uid", "")))
    member = session.get(Member, case.member_id) if case.member_id else None
    powers = mandates.current_powers(session, member.id, trustee.id, now) if member and trustee else []
    admins = [login.name for login in active_administrators(session, member.id, now)] if member else []
    document = session.get(Document, case.document_id) if case.document_id else None
    return Facts(details, document, trustee, codes.trustee_address(trustee).lines() if trustee else [], powers, admins)


CASE = CaseKind(KIND, approve=approve_case, facts=case_facts, own_approval_form=True)
