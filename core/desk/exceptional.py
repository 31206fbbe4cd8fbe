"""R16: the fund registers a login itself, exceptionally, on the member's official letter.

One clerk records the case: the scanned letter, who signed it (chosen from the member's signatories), the person
to register and the rights asked for. The signers must form one complete signing combination valid on the
letter's date. Another clerk approves (four eyes: the desk refuses the recorder); then a
pending login is prepared with the person's data and rights, and a code letter goes to the member's address on
file (R1), never to the person: with it the person completes the registration (password and second factor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, clock
from core.codes import codes
from core.desk import cases, documents, rejections
from core.desk.case_kind import CaseKind
from core.desk.casework import NO_MEMBER, CannotApprove
from core.domain import rights as catalogue
from core.domain import signing
from core.domain.phones import InvalidMobile, normalise_mobile
from core.domain.states import CaseStatus, LoginStatus
from core.members import signatories
from core.models import (
    AuditEvent,
    Case,
    Document,
    History,
    Letter,
    Login,
    Member,
    Request,
    Signatory,
    StaffUser,
)
from core.refusal import Problem, Refused
from core.translatable import N_

KIND = "exceptional_registration"
LETTER_KIND = "exceptional_login"  # the code letter: "the login your letter asked for is ready"
LANGUAGES = ("de", "fr", "it", "en")
WHY = N_("an official letter asks the fund to register a login; another staff member must approve it")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    mobile: str
    language: str


@dataclass(frozen=True)
class OfficialLetter:
    data: bytes
    filename: str
    letter_date: date


def _person_problems(person: Person) -> tuple[Person, list[Problem]]:
    problems: list[Problem] = []
    name = " ".join(person.name.split())
    if not name or len(name) > 200:
        problems.append(Problem("name", N_("Enter the person's full name (at most 200 characters)")))
    email = person.email.strip()
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        problems.append(Problem("email", N_("Enter an e-mail address like name@example.ch")))
    mobile = person.mobile
    try:
        mobile = normalise_mobile(person.mobile)
    except InvalidMobile:
        problems.append(Problem("mobile", N_("Enter a mobile number like 079 123 45 67 or +41 79 123 45 67")))
    if person.language not in LANGUAGES:
        problems.append(Problem("language", N_("Choose one of the languages offered.")))
    return Person(name, email, mobile, person.language), problems


def _rights_problems(wanted: Sequence[str]) -> list[Problem]:
    if not wanted:
        return [Problem("rights", N_("Choose at least one right, as the letter asks"))]
    if any(right not in catalogue.CATALOGUE for right in wanted):
        return [Problem("rights", N_("Choose rights from the list only."))]
    return []


def email_taken(session: Session, member_id: int, email: str) -> bool:
    """The member's logins are told apart by e-mail: no second active or pending login with the same one."""
    return session.scalar(select(Login.id).where(
        Login.member_id == member_id, Login.status.in_((LoginStatus.ACTIVE, LoginStatus.PENDING)),
        func.lower(Login.email) == email,
    ).limit(1)) is not None


def open_case_for(session: Session, member_id: int, email: str) -> int | None:
    """An open case that already asks to register this person: the same letter recorded twice (a second click, or
    two clerks) must not become two cases, one of which would later fail."""
    for case in session.scalars(select(Case).where(Case.kind == KIND, Case.status == CaseStatus.OPEN,
                                                   Case.member_id == member_id)):
        if str((case.payload or {}).get("person", {}).get("email", "")).lower() == email.lower():
            return case.id
    return None


def signers_of(session: Session, member_id: int, signer_ids: Sequence[int]) -> list[Signatory] | None:
    """The chosen entries, in the order chosen; None when one is not this member's."""
    found = {s.id: s for s in session.scalars(select(Signatory).where(Signatory.id.in_(signer_ids)))}
    chosen = [found.get(i) for i in signer_ids]
    if any(s is None or s.member_id != member_id for s in chosen):
        return None
    return [s for s in chosen if s is not None]


def verdict(session: Session, member_id: int, signer_ids: Sequence[int], letter_date: date) -> signing.Verdict:
    chosen = signers_of(session, member_id, signer_ids)
    if chosen is None:
        return signing.Verdict(False, (signing.Reason(N_("Choose the signers from this member's signatories.")),))
    return signing.check([signatories.as_signer(s) for s in chosen], letter_date)


def _staff(session: Session, staff_id: int) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise Refused([Problem("", N_("Your staff login is not active."))])
    return staff


def record(session: Session, staff_id: int, member_number: str, letter: OfficialLetter, signer_ids: Sequence[int],
           person: Person, wanted: Sequence[str], now: datetime) -> int:
    """Check everything, keep the letter and open the case for a second clerk; returns the case id."""
    staff = _staff(session, staff_id)
    member = signatories.member_by_number(session, member_number)
    if member is None:
        raise Refused([Problem("member_number", "No member with this number in the register.")])
    person, problems = _person_problems(person)
    problems += _rights_problems(wanted)
    if letter.letter_date > clock.today_in_zurich(now):
        problems.append(Problem("letter_date", N_("The letter's date cannot be in the future")))
    elif not (result := verdict(session, member.id, signer_ids, letter.letter_date)).complete:
        problems += [Problem("signers", r.text, tuple(r.values.items())) for r in result.reasons]
    if not any(p.field == "email" for p in problems) and email_taken(session, member.id, person.email):
        problems.append(Problem("email", N_("This member already has a login with this e-mail address.")))
    elif (waiting := open_case_for(session, member.id, person.email)) is not None:
        problems.append(Problem("email", N_("Case {case} already asks to register this person and waits for approval."),
                                (("case", str(waiting)),)))
    try:
        documents.check_pdf(letter.data)
    except documents.DocumentRejected as exc:
        problems.append(Problem("letter", N_("The letter cannot be kept: {reason}"), (("reason", str(exc)),)))
    if problems:
        raise Refused(problems)
    actor = f"staff:{staff.username}"
    document = documents.store(session, letter.data, letter.filename, "official_letter", actor, now)
    case = cases.open_case(session, kind=KIND, why=WHY, now=now, member_id=member.id)
    granted = [right for right in catalogue.CATALOGUE if right in wanted]
    case.recorded_by, case.document_id = staff.id, document.id
    case.payload = {"person": asdict(person), "rights": granted, "signer_ids": list(signer_ids),
                    "letter_date": letter.letter_date.isoformat()}
    names = ", ".join(s.name for s in signers_of(session, member.id, signer_ids) or [])
    session.add(History(case_id=case.id, at=now, actor=actor, event="case.recorded",
                        detail=f"official letter of {letter.letter_date:%d.%m.%Y} signed by {names}"))
    audit.record(session, audit.Entry(actor, "exceptional_registration.recorded", member.id, f"case:{case.id}",
                                      {"rights": granted, "signer_ids": list(signer_ids),
                                       "document_id": document.id}), now)
    return case.id


def kept_by_recorder(session: Session, case: Case) -> list[int]:
    """The chosen signatories whose register entry the recorder added or changed: four eyes (R16) mean the approver
    checks those against the commercial register extract, not only the letter."""
    recorder = session.get(StaffUser, case.recorded_by) if case.recorded_by else None
    if recorder is None or case.member_id is None:
        return []
    subjects = [f"signatory:{int(i)}" for i in case.payload.get("signer_ids", [])]
    found = session.scalars(select(AuditEvent.subject).where(
        AuditEvent.member_id == case.member_id, AuditEvent.actor == f"staff:{recorder.username}",
        AuditEvent.action.in_(("signatory.added", "signatory.ended")), AuditEvent.subject.in_(subjects)))
    return sorted({int(subject.partition(":")[2]) for subject in found})


def letter_date_of(case: Case) -> date:
    return date.fromisoformat(str(case.payload["letter_date"]))


def approve_case(session: Session, case: Case, request: Request | None, staff: StaffUser, note: str,
                 details: object, now: datetime) -> int | None:
    """Called by desk.approve after it claimed the case (and refused its recorder). Checks again, prepares the login
    and sends the code letter to the member's address on file; returns the letter's id. Raising undoes the claim."""
    member = session.get(Member, case.member_id) if case.member_id else None
    if member is None:
        raise CannotApprove(NO_MEMBER)
    result = verdict(session, member.id, [int(i) for i in case.payload["signer_ids"]], letter_date_of(case))
    if not result.complete:
        raise CannotApprove(f"the signatures no longer form a complete combination: {result.explain()}")
    person: dict[str, Any] = dict(case.payload["person"])
    if email_taken(session, member.id, str(person["email"])):
        raise CannotApprove(N_("this member already has a login with this e-mail address"))
    actor = f"staff:{staff.username}"
    login = _prepared_login(session, member, person, list(case.payload["rights"]), now)
    letter_id = codes.issue_prepared_login_letter(session, member, login.id, LETTER_KIND, now, actor)
    case.payload = {**case.payload, "login_id": login.id, "letter_id": letter_id}
    reference = session.scalar(select(Letter.reference).where(Letter.id == letter_id))
    detail = f"login prepared; code letter {reference} to the address on file" + (f" – {note}" if note else "")
    session.add(History(case_id=case.id, at=now, actor=actor, event="case.approved", detail=detail))
    audit.record_many(session, [
        audit.Entry(actor, "login.created", member.id, f"login:{login.id}",
                    {"rights": login.rights, "via": "exceptional_registration", "case_id": case.id}),
        audit.Entry(actor, "case.approved", member.id, f"case:{case.id}",
                    {"kind": KIND, "letter_id": letter_id, "note": note}),
    ], now)
    return letter_id


def _prepared_login(session: Session, member: Member, person: dict[str, Any], granted: list[str],
                    now: datetime) -> Login:
    """Pending, without password or second factor: the person sets both when registering with the code."""
    login = Login(member_id=member.id, name=str(person["name"]), email=str(person["email"]),
                  mobile=str(person["mobile"]), language=str(person["language"]), rights=granted,
                  status=LoginStatus.PENDING, created_at=now, session_version=1, totp_last_step=0, password_hash="",
                  totp_secret="")
    session.add(login)
    session.flush()
    return login


@dataclass(frozen=True)
class Facts:
    """What the case page shows beside the desk's own view: the letter and whether its signers still suffice."""

    document: Document | None
    letter_date: date
    signers: list[Signatory]
    verdict: signing.Verdict
    kept_by_recorder: list[int]  # signers whose register entry the recorder added or ended


def case_facts(session: Session, case: Case, now: datetime) -> Facts | None:
    if case.member_id is None:
        return None
    ids = [int(i) for i in case.payload.get("signer_ids", [])]
    letter_date = letter_date_of(case)
    return Facts(session.get(Document, case.document_id) if case.document_id else None, letter_date,
                 signers_of(session, case.member_id, ids) or [], verdict(session, case.member_id, ids, letter_date),
                 kept_by_recorder(session, case))


CASE = CaseKind(KIND, approve=approve_case, facts=case_facts, reject=rejections.by_letter,
                needs_recorder=N_("the case must be recorded by a staff member first"), own_approval_form=True)
