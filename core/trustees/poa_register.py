"""R14: the fund's register of powers of attorney. Staff record a signed power (principal, trustee, scope, dates,
the document, the day it was received) and revoke one with immediate effect; anyone at the desk can ask whether
the fund may give information to a trustee about a member today.

Everything a form gives is checked before the document is stored, so a refused entry leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import audit, clock
from core.desk import documents
from core.desk import search as staff_search
from core.domain import mandates as rules
from core.models import Document, Member, PowerOfAttorney, Trustee
from core.refusal import Refused
from core.translatable import N_
from core.trustees import mandates, trustees

UNKNOWN_MEMBER = N_("No member with this member number is on the register.")
NO_DOCUMENT = N_("Upload the signed power of attorney as a PDF.")
ALREADY_REVOKED = N_("This power of attorney has been revoked already.")
NO_NOTE = N_("Say how the revocation reached us, for example 'letter of 3 March'.")


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


def member_by_number(session: Session, member_number: str) -> Member:
    member = session.scalar(select(Member).where(Member.member_number == member_number.strip()))
    if member is None:
        raise Refused(UNKNOWN_MEMBER, "member_number")
    return member


def _trustee(session: Session, entry: trustees.Company, actor: str, now: datetime) -> Trustee:
    try:
        return trustees.find_or_create(session, entry, now=now, actor=actor)
    except trustees.InvalidTrustee as exc:
        field = "trustee_uid" if exc.field == "uid" else "trustee_postcode"
        raise Refused(exc.message, field, **exc.values) from exc


def record(session: Session, member_number: str, entry: trustees.Company, power: rules.NewPowerOfAttorney,
           upload: Upload | None, actor: str, now: datetime) -> int:
    """One transaction: the checked power of attorney, its document and the audit entry."""
    try:
        checked = rules.check_new(power, clock.today_in_zurich(now))
    except rules.InvalidPowerOfAttorney as exc:
        raise Refused(exc.message, exc.field) from exc
    member = member_by_number(session, member_number)
    if upload is None or not upload.data:
        raise Refused(NO_DOCUMENT, "document")
    try:
        documents.check_pdf(upload.data)
    except documents.DocumentRejected as exc:
        raise Refused(N_("The document cannot be kept: {reason}."), "document", reason=str(exc)) from exc
    trustee = _trustee(session, entry, actor, now)
    document = documents.store(session, upload.data, upload.filename, "power_of_attorney", actor, now)
    return enter(session, member, trustee, checked, document, actor, now)


def enter(session: Session, member: Member, trustee: Trustee, checked: rules.NewPowerOfAttorney,
          document: Document, actor: str, now: datetime, **audit_detail: object) -> int:
    """The register entry for a checked power of attorney and its kept document, audited (R14, R18)."""
    poa = PowerOfAttorney(member_id=member.id, trustee_id=trustee.id, scope=list(checked.scope),
                          valid_from=checked.valid_from, valid_until=checked.valid_until, document_id=document.id,
                          received_on=checked.received_on, recorded_by=actor, recorded_at=now)
    session.add(poa)
    session.flush()
    audit.record(session, audit.Entry(actor, "power_of_attorney.recorded", member.id, f"poa:{poa.id}", {
        "trustee_uid": trustee.uid, "scope": list(checked.scope), "valid_from": checked.valid_from.isoformat(),
        "valid_until": checked.valid_until.isoformat() if checked.valid_until else None,
        "document_sha256": document.sha256, **audit_detail}), now)
    return poa.id


def revoke(session: Session, poa_id: int, note: str, actor: str, now: datetime) -> PowerOfAttorney:
    """Effective on receipt (Art. 34 OR): the trustee's access ends with the next request."""
    if not note.strip():
        raise Refused(NO_NOTE, "note")
    poa = session.scalar(select(PowerOfAttorney).where(PowerOfAttorney.id == poa_id).with_for_update())
    if poa is None:
        raise LookupError(poa_id)
    if poa.revoked_at is not None:
        raise Refused(ALREADY_REVOKED)
    poa.revoked_at, poa.revoked_by, poa.revocation_note = now, actor, note.strip()[:2000]
    audit.record(session, audit.Entry(actor, "power_of_attorney.revoked", poa.member_id, f"poa:{poa.id}",
                                      {"trustee_id": poa.trustee_id}), now)
    return poa


@dataclass(frozen=True)
class Row:
    id: int
    member_number: str
    member_name: str
    trustee_uid: str
    trustee_name: str
    scope: list[str]
    valid_from: date
    valid_until: date | None
    received_on: date
    revoked_at: datetime | None
    current: bool
    document_id: int | None


def _row(poa: PowerOfAttorney, now: datetime) -> Row:
    return Row(poa.id, poa.member.member_number, poa.member.name, poa.trustee.uid, poa.trustee.name,
               list(poa.scope), poa.valid_from, poa.valid_until, poa.received_on, poa.revoked_at,
               rules.is_current(mandates.state(poa), now), poa.document_id)


def search(session: Session, text: str, now: datetime, limit: int = 100) -> list[Row]:
    """By member number, UID (the member's or the trustee's) or part of the member's or the trustee's name
    (core.desk.search); the newest first."""
    query = (select(PowerOfAttorney).join(Member, Member.id == PowerOfAttorney.member_id)
             .join(Trustee, Trustee.id == PowerOfAttorney.trustee_id)
             .order_by(PowerOfAttorney.recorded_at.desc(), PowerOfAttorney.id.desc()).limit(limit))
    term = staff_search.parse(text)
    if term.text:
        found = [Member.member_number == term.text]
        if term.uid:
            found += [Trustee.uid == term.uid, Member.uid == term.uid]
        if term.searches_names:
            found += [staff_search.name_matches(Member.name, term), staff_search.name_matches(Trustee.name, term)]
        query = query.where(or_(*found))
    return [_row(poa, now) for poa in session.scalars(query)]


def one(session: Session, poa_id: int, now: datetime) -> tuple[Row, PowerOfAttorney] | None:
    poa = session.get(PowerOfAttorney, poa_id)
    return (_row(poa, now), poa) if poa is not None else None


@dataclass(frozen=True)
class Answer:
    """May we give information to trustee T about member M today? With the reason and the documents."""

    allowed: bool
    verdict: rules.Verdict
    member_name: str
    trustee_name: str
    powers: list[Row]


def may_inform(session: Session, member_number: str, trustee_uid: str, now: datetime) -> Answer:
    member = member_by_number(session, member_number)
    try:
        trustee = trustees.by_uid(session, trustee_uid)
    except trustees.InvalidTrustee as exc:
        raise Refused(exc.message, "trustee_uid", **exc.values) from exc
    if trustee is None:
        return Answer(False, rules.Verdict(False, rules.NO_POA), member.name, "", [])
    found = mandates.powers(session, member.id, trustee.id)
    answer = rules.verdict([(poa.id, mandates.state(poa)) for poa in found], now)
    shown = [_row(poa, now) for poa in found if poa.id in answer.poa_ids]
    return Answer(answer.allowed, answer, member.name, trustee.name, shown)


def document(session: Session, document_id: int) -> Document | None:
    """Only documents of powers of attorney are served from the register."""
    doc = session.get(Document, document_id)
    return doc if doc is not None and doc.kind == "power_of_attorney" else None
