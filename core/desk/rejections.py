"""Telling a member that the fund rejected what its own letter asked (R16 a login registered by the fund, R17 old
logins deactivated): a letter without a code, to the address on file (R1), in the member's correspondence language
(R6), with the staff member's reason. Nothing of it goes to an address given in a request.

The letter's text depends on the kind of request; whom it was about and the reason are read from the case that
sent it when the worker renders the letter, as for the confirmation of deactivated logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.codes import codes
from core.domain import stale_login_requests
from core.domain.states import CaseStatus
from core.models import Case, Letter, Member

LETTER_KIND = "request_rejected"


@dataclass(frozen=True)
class LetterFacts:
    topic: str = ""  # the case's kind
    names: str = ""  # the person to register, or the logins to deactivate
    reason: str = ""


def by_letter(session: Session, case: Case, member: Member | None, actor: str, now: datetime) -> str:
    """The rejection of a kind a member asks for in its own signed letter (R16, R17): queued in the rejecting
    transaction, remembered on the case; returns the letter's reference ("" without a member to write to)."""
    if member is None:
        return ""
    letter_id = codes.issue_letter_without_code(session, member, LETTER_KIND, now, actor=actor)
    case.payload = {**(case.payload or {}), "rejection_letter_id": letter_id}
    return session.get_one(Letter, letter_id).reference


def _names(case: Case) -> str:
    payload = case.payload or {}
    if case.kind == "exceptional_registration":
        return str((payload.get("person") or {}).get("name", ""))
    # Before a clerk confirms which logins a member's own request means, the letter names them as the member did.
    names = payload.get("names") or [row.label() for row in stale_login_requests.listed(payload)]
    return ", ".join(str(name) for name in names)


def letter_facts(session: Session, letter_id: int) -> LetterFacts:
    """What a request_rejected letter says: kept on the case that rejected, or, for a letter sent again after the
    first came back (returned mail), on the case that rejected the first."""
    member_id = session.scalar(select(Letter.member_id).where(Letter.id == letter_id))
    found = session.scalars(select(Case).where(Case.member_id == member_id,
                                               Case.status.in_((CaseStatus.REJECTED, CaseStatus.APPROVED)))
                          .order_by(Case.id))
    for case in found:
        payload = case.payload or {}
        if case.status == CaseStatus.REJECTED and payload.get("rejection_letter_id") == letter_id:
            return LetterFacts(case.kind, _names(case), case.decision_reason)
        if case.kind == "returned_mail" and payload.get("new_letter_id") == letter_id:
            return letter_facts(session, int(payload["letter_id"]))
    return LetterFacts()
