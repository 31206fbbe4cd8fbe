"""R14: a member's administrator sends the fund a power of attorney for one of its trustees through the portal.

It reaches the staff desk as a case: staff check the signed PDF and record it in the register (poa_register) or
reject it with a reason. The access the administrator opened does not wait for it (way (a)); it decides only
whether the fund may give the trustee information, which the portal shows per trustee (`information`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, clock
from core.desk import cases, documents
from core.desk.case_kind import CaseKind
from core.desk.casework import CannotApprove
from core.domain import mandates as rules
from core.domain.states import CaseStatus
from core.logins import logins
from core.models import Case, Document, History, Login, Member, Request, StaffUser, Trustee
from core.translatable import N_
from core.trustees import mandates, poa_register

KIND = "power_of_attorney"
WHY = N_("A member's administrator sent a power of attorney for a trustee through the portal.")  # R14
NO_FILE = N_("Choose the signed power of attorney (a PDF file).")
NOT_KEPT = N_("The document cannot be kept: {reason}.")


@dataclass(frozen=True)
class Sent:
    """What the administrator says the power of attorney grants: the rights and the days it covers."""

    valid_from: date
    valid_until: date | None
    scope: tuple[str, ...]

    def checked(self, received_on: date, today: date) -> rules.NewPowerOfAttorney:
        return rules.check_new(rules.NewPowerOfAttorney(self.valid_from, self.valid_until, received_on,
                                                        self.scope), today)

    def as_payload(self) -> dict[str, Any]:
        return {"scope": list(self.scope), "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Sent:
        until = payload.get("valid_until")
        return cls(date.fromisoformat(payload["valid_from"]), date.fromisoformat(until) if until else None,
                   tuple(payload.get("scope", ())))


@dataclass(frozen=True)
class Confirmed:
    """What staff confirmed against the signed PDF, and the day the fund received it."""

    sent: Sent
    received_on: date

    def as_payload(self) -> dict[str, Any]:
        return {**self.sent.as_payload(), "received_on": self.received_on.isoformat()}


def _mandate(session: Session, editor: Login, mandate_id: int) -> tuple[Any, Trustee]:
    mandate = mandates.active_mandate_by_id(session, mandate_id, editor.member_id or 0)
    if mandate is None:
        raise logins.NotFound
    login = session.get_one(Login, mandate.login_id)
    return mandate, session.get_one(Trustee, login.trustee_id)


def submit(session: Session, editor_id: int, mandate_id: int, sent: Sent, upload: poa_register.Upload | None,
           now: datetime) -> int:
    """One transaction: the checked PDF, the case for the desk and the audit entry; returns the case id. Raises
    logins.Refused naming the field before anything is written."""
    editor = logins.administrator(session, editor_id, now)
    _, trustee = _mandate(session, editor, mandate_id)
    today = clock.today_in_zurich(now)
    try:
        checked = sent.checked(today, today)
    except rules.InvalidPowerOfAttorney as exc:
        raise logins.Refused(exc.message, exc.field) from exc
    if upload is None or not upload.data:
        raise logins.Refused(NO_FILE, "document")
    try:
        documents.check_pdf(upload.data)
    except documents.DocumentRejected as exc:
        raise logins.Refused(NOT_KEPT, "document", reason=str(exc)) from exc
    actor = logins.account(editor)
    document = documents.store(session, upload.data, upload.filename, "power_of_attorney", actor, now)
    case = cases.open_case(session, kind=KIND, why=WHY, now=now, member_id=editor.member_id)
    case.document_id = document.id
    case.payload = {"trustee_id": trustee.id, "mandate_id": mandate_id, "sent_by": editor.name,
                    "sent_on": today.isoformat(),
                    "sent": Sent(checked.valid_from, checked.valid_until, checked.scope).as_payload()}
    audit.record(session, audit.Entry(actor, "power_of_attorney.sent", editor.member_id, f"case:{case.id}", {
        "trustee_id": trustee.id, "document_sha256": document.sha256}), now)
    return case.id


# --- Staff: recording it ---------------------------------------------------------------------------------------


def approve_case(session: Session, case: Case, request: Request | None, staff: StaffUser, note: str,
                 details: object, now: datetime) -> int | None:
    """Called by desk.approve after it claimed the case; raising undoes the claim. Records the power of attorney
    as staff confirmed it against the PDF (`details`, kept in the case as `confirmed`), else as the administrator
    sent it."""
    if isinstance(details, Confirmed):
        case.payload = {**case.payload, "confirmed": details.as_payload()}
    member = session.get(Member, case.member_id) if case.member_id else None
    trustee = session.get(Trustee, case.payload.get("trustee_id"))
    document = session.get(Document, case.document_id) if case.document_id else None
    if member is None or trustee is None or document is None:
        raise CannotApprove("the case has no member, trustee or document")
    confirmed = case.payload.get("confirmed") or {**case.payload["sent"], "received_on": case.payload["sent_on"]}
    sent = Sent.from_payload(confirmed)
    try:
        checked = sent.checked(date.fromisoformat(confirmed["received_on"]), clock.today_in_zurich(now))
    except rules.InvalidPowerOfAttorney as exc:
        raise CannotApprove(exc.message) from exc
    actor = f"staff:{staff.username}"
    poa_id = poa_register.enter(session, member, trustee, checked, document, actor, now, case_id=case.id)
    until = checked.valid_until.strftime("%d.%m.%Y") if checked.valid_until else "until revoked"
    session.add(History(case_id=case.id, at=now, actor=actor, event="case.approved",
                        detail=f"power of attorney recorded for {trustee.name} ({until})"
                        + (f" – {note}" if note else "")))
    audit.record(session, audit.Entry(actor, "case.approved", member.id, f"case:{case.id}",
                                      {"kind": KIND, "poa_id": poa_id, "note": note}), now)
    return None


# --- The portal: may the fund inform this trustee? -------------------------------------------------------------


@dataclass(frozen=True)
class Information:
    """R14, per trustee: whether a current power of attorney lets the fund give it information, until when, and
    what became of the ones the administrators sent."""

    allowed: bool
    until: date | None  # the last day covered, when allowed; None: until revoked
    waiting_since: date | None  # the day the oldest one still with the fund was sent
    rejected_on: date | None = None  # the latest one sent, when the fund did not record it
    rejected_reason: str = ""
    why_not: str = ""  # when not allowed: none, not_yet, ended or revoked (on why_not_day)
    why_not_day: date | None = None


def information(session: Session, member_id: int, trustee_id: int, now: datetime) -> Information:
    found = mandates.powers(session, member_id, trustee_id)
    verdict = rules.verdict([(poa.id, mandates.state(poa)) for poa in found], now)
    current = [poa for poa in found if poa.id in verdict.poa_ids] if verdict.allowed else []
    until = None if any(p.valid_until is None for p in current) else max((p.valid_until for p in current
                                                                         if p.valid_until), default=None)
    sent = [case for case in session.scalars(select(Case).where(Case.kind == KIND, Case.member_id == member_id)
                                             .order_by(Case.created_at, Case.id))
            if case.payload.get("trustee_id") == trustee_id]
    waiting = [case for case in sent if case.status == CaseStatus.OPEN]
    decided = [case for case in sent if case.status != CaseStatus.OPEN]
    latest = decided[-1] if decided else None
    rejected = latest is not None and latest.status == CaseStatus.REJECTED and not waiting
    return Information(bool(current), until if current else None,
                       _sent_on(waiting[0]) if waiting else None,
                       _sent_on(latest) if rejected and latest else None,
                       latest.decision_reason if rejected and latest else "",
                       "" if verdict.allowed else WHY_NOT[verdict.reason], verdict.day)


WHY_NOT = {rules.NO_POA: "none", rules.NOT_YET: "not_yet", rules.ENDED: "ended", rules.REVOKED: "revoked"}


def _sent_on(case: Case) -> date:
    return date.fromisoformat(case.payload["sent_on"])


@dataclass(frozen=True)
class Facts:
    """What the case page shows beside the desk's own view: the power as the administrator sent it."""

    member: Member | None
    trustee: Trustee | None
    document: Document | None
    sent: Sent
    sent_by: str
    sent_on: date


def case_facts(session: Session, case: Case, now: datetime) -> Facts:
    return Facts(session.get(Member, case.member_id) if case.member_id else None,
                 session.get(Trustee, case.payload.get("trustee_id")),
                 session.get(Document, case.document_id) if case.document_id else None,
                 Sent.from_payload(case.payload["sent"]), str(case.payload.get("sent_by", "")), _sent_on(case))


CASE = CaseKind(KIND, approve=approve_case, facts=case_facts, own_approval_form=True)
