"""Returned mail: a letter the post brought back. Its code is voided at once (a code on an undelivered letter
must not work for whoever holds the envelope), and a case asks staff to check the address on file (R1). Staff
correct the address in the register and approve (a new code letter to the corrected address) or close the case
without a new letter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, refs
from core.codes import codes
from core.desk import cases
from core.desk.case_kind import CaseKind
from core.desk.casework import CannotApprove, note_on_case
from core.domain.addresses import InvalidAddress, PostalAddress, check_swiss
from core.domain.states import CaseStatus, CodeStatus, LetterStatus, LoginStatus
from core.models import Case, History, Letter, Login, Member, RegistrationCode, Request, StaffUser
from core.refusal import Refused
from core.translatable import N_
from letters.compose import CODELESS_KINDS

KIND = "returned_mail"
# Only a printed letter went out by post: one still pending, rendered (ready to print) or cancelled never left the
# fund, and marking it returned would void a code that nobody could have misused.
SENT = ("printed",)
# Code letters sent again as they were; any other kind (e.g. a code for a trustee) is not re-sent from here.
CODE_LETTERS = ("invitation", "new_code", "exceptional_login")
ADDRESS_FIELDS = ("care_of", "street", "po_box", "postcode", "town")


class ReturnedMailError(Refused):
    """A reference or correction that cannot be taken."""


@dataclass(frozen=True)
class Returned:
    reference: str
    case_id: int
    first_time: bool  # False: this letter was scanned before; nothing was done again
    had_code: bool = True  # False: a letter without a code (a confirmation); nothing to void


normalise = refs.normalise  # what staff type or a scanner sends: any case, spaces, with or without the dashes


def register_return(session: Session, raw_reference: str, staff_id: int, now: datetime) -> Returned:
    """Mark the letter returned, void its code and open a case, once: a second scan finds the case and stops."""
    reference = normalise(raw_reference)
    if not reference:
        raise ReturnedMailError(N_("enter the letter reference printed on the letter, e.g. L-AB12-CD34"))
    staff = _staff(session, staff_id)
    letter = session.scalar(select(Letter).where(Letter.reference == reference).with_for_update())
    if letter is None:
        raise ReturnedMailError(N_("no letter with the reference {reference}"), reference=reference)
    if letter.status == LetterStatus.RETURNED:
        return Returned(reference, _case_of(session, letter), False, letter.code_id is not None)
    if letter.status == LetterStatus.RENDERED:
        raise ReturnedMailError(N_("letter {reference} was never printed (state: {status}): only a letter that went "
                                   "out by post can come back; nothing was changed"), reference=reference,
                                status=letter.status)
    if letter.status not in SENT:
        raise ReturnedMailError(N_("letter {reference} was never sent (state: {status}); nothing was changed"),
                                reference=reference, status=letter.status)
    actor = f"staff:{staff.username}"
    letter.status, letter.returned_at = LetterStatus.RETURNED, now
    audit.record(session, audit.Entry(actor, "letter.returned", letter.member_id, f"letter:{letter.id}",
                                      {"kind": letter.kind}), now)
    _void_code(session, letter, actor, now)
    case = cases.open_case(session, kind=KIND, member_id=letter.member_id, now=now,
                           why=f"letter {reference} came back undelivered: check the address on file")
    case.payload = {"letter_id": letter.id}
    session.add(History(case_id=case.id, at=now, actor=actor, event="letter.returned", detail=reference))
    return Returned(reference, case.id, True, letter.code_id is not None)


def _void_code(session: Session, letter: Letter, actor: str, now: datetime) -> None:
    if letter.code_id is None:
        return
    voided = session.scalar(
        update(RegistrationCode).where(RegistrationCode.id == letter.code_id,
                                       RegistrationCode.status == CodeStatus.ISSUED)
        .values(status=CodeStatus.VOIDED, voided_at=now, void_reason="returned").returning(RegistrationCode.id)
        .execution_options(synchronize_session=False))
    if voided is not None:
        audit.record(session, audit.Entry(actor, "code.voided", letter.member_id, f"code:{voided}",
                                          {"reason": "returned", "letter_id": letter.id}), now)


def _case_of(session: Session, letter: Letter) -> int:
    found = session.scalars(select(Case).where(Case.kind == KIND, Case.member_id == letter.member_id)
                            .order_by(Case.id.desc()))
    for case in found:
        if (case.payload or {}).get("letter_id") == letter.id:
            return case.id
    raise ReturnedMailError(N_("letter {reference} is marked returned already"), reference=letter.reference)


def returned_letter(session: Session, case: Case) -> Letter | None:
    letter_id = (case.payload or {}).get("letter_id")
    return session.get(Letter, letter_id) if isinstance(letter_id, int) else None


def _checked_address(member: Member, fields: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The address as it would be on file, and the fields that differ from the one on file now."""
    new = {name: (fields.get(name) or "").strip() for name in ADDRESS_FIELDS}
    try:
        check_swiss(PostalAddress(member.name, **new))
    except InvalidAddress as problem:
        raise ReturnedMailError(N_("the address cannot be used: {problem}"), problem=str(problem)) from None
    return new, [name for name in ADDRESS_FIELDS if getattr(member, name) != new[name]]


def record_address(session: Session, case_id: int, staff_id: int, fields: dict[str, str], now: datetime) -> None:
    """Four eyes, as for R16: the clerk who found the new address records it on the case; the address on file stays
    as it is until another staff member approves, and only then does a letter (with a code) go to it. Recording
    again replaces the address waiting and makes its recorder the one who may not approve it. Audited (R18)."""
    case = session.get(Case, case_id)
    if case is None or case.kind != KIND or case.member_id is None:
        raise ReturnedMailError(N_("this case has no member whose address could be corrected"))
    member = session.get_one(Member, case.member_id)
    new, changed = _checked_address(member, fields)
    if not changed:
        raise ReturnedMailError(N_("the address is the same as the one on file; nothing was changed"))
    lines = ", ".join(PostalAddress(member.name, **new).lines()[1:])
    note_on_case(session, case_id, staff_id, "member.address_recorded", lines, {"fields": changed}, now)
    case.payload = {**case.payload, "new_address": new}
    case.recorded_by = staff_id


@dataclass(frozen=True)
class AddressSeen:
    """The new address as the approving staff member saw it (`seen_key` of its lines): four eyes approve what the
    second pair of eyes saw, not what was recorded again while the page was open."""

    key: str


def seen_key(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def recorded_address(case: Case, member: Member | None) -> list[str]:
    """The address waiting for a second staff member's approval, as its lines would read; empty when none waits."""
    if case.status != CaseStatus.OPEN:  # decided: it was put on file, or never used
        return []
    return _waiting_lines(case, member)


def _waiting_lines(case: Case, member: Member | None) -> list[str]:
    new = (case.payload or {}).get("new_address")
    if not isinstance(new, dict) or member is None:
        return []
    return PostalAddress(member.name, **{name: str(new.get(name, "")) for name in ADDRESS_FIELDS}).lines()


def _apply_recorded_address(session: Session, case: Case, member: Member, staff: StaffUser, seen: object,
                            now: datetime) -> None:
    """The approver's half of four eyes (the desk refused the recorder): the address recorded by someone else, as
    the approver saw it, goes on file now (R1: the letter that follows goes to it)."""
    # The case is claimed already (no longer open): compare with the address it holds.
    if not isinstance(seen, AddressSeen) or seen.key != seen_key(_waiting_lines(case, member)):
        raise CannotApprove(N_("the new address was changed after you opened the case; check it again"))
    session.refresh(member, with_for_update=True)
    try:
        new, changed = _checked_address(member, dict(case.payload["new_address"]))
    except ReturnedMailError as problem:
        raise CannotApprove(str(problem)) from None
    recorder = session.get(StaffUser, case.recorded_by)
    if changed:
        actor = f"staff:{staff.username}"
        lines = ", ".join(PostalAddress(member.name, **new).lines()[1:])
        session.add(History(case_id=case.id, at=now, actor=actor, event="member.address_corrected", detail=lines))
        audit.record(session, audit.Entry(actor, "member.address_corrected", member.id, f"case:{case.id}",
                                          {"fields": changed,
                                           "recorded_by": f"staff:{recorder.username}" if recorder else ""}), now)
        for name in changed:
            setattr(member, name, new[name])
        member.updated_at = now
    # Kept as approved, under another key: the case no longer has an address waiting.
    case.payload = {**{k: v for k, v in case.payload.items() if k != "new_address"}, "address_approved": new}


def approve_case(session: Session, case: Case, request: Request | None, staff: StaffUser, note: str,
                 details: object, now: datetime) -> int | None:
    """The letter again, to the address on file (as a second staff member approved it, when one was recorded; as it
    is, when staff confirm it): a code letter with a new code, a confirmation (R17) without one."""
    letter = returned_letter(session, case)
    member = session.get(Member, case.member_id) if case.member_id else None
    if member is None or letter is None:
        raise CannotApprove(N_("this case has no returned letter of a member in the register"))
    if letter.trustee_id is not None:
        raise CannotApprove(N_("the letter went to a trustee: record the trustee's new address with its power of "
                                    "attorney and send a new trustee code from there; close this case"))
    if "new_address" in (case.payload or {}):
        _apply_recorded_address(session, case, member, staff, details, now)
    actor = f"staff:{staff.username}"
    if letter.kind in CODELESS_KINDS:
        # A confirmation carries no code: sending a code in its place would offer access nobody asked for.
        letter_id = codes.issue_letter_without_code(session, member, letter.kind, now, actor=actor)
        what = "letter"
    else:
        prepared = _prepared_login(session, letter)
        kind = letter.kind if letter.kind in CODE_LETTERS else "new_code"
        if prepared is None:
            letter_id = codes.issue_letter(session, member, kind, now, actor=actor)
        else:  # R16: the new code completes the login the fund prepared, not a new administrator.
            letter_id = codes.issue_prepared_login_letter(session, member, prepared, kind, now, actor)
        what = "new code letter"
    case.payload = {**case.payload, "new_letter_id": letter_id}
    reference = session.scalar(select(Letter.reference).where(Letter.id == letter_id))
    detail = f"{what} {reference} to the address on file" + (f" – {note}" if note else "")
    session.add(History(case_id=case.id, at=now, actor=actor, event="case.approved", detail=detail))
    audit.record(session, audit.Entry(actor, "case.approved", member.id, f"case:{case.id}",
                                      {"kind": KIND, "letter_id": letter_id, "note": note}), now)
    return letter_id


def _prepared_login(session: Session, letter: Letter) -> int | None:
    """The login an exceptional registration (R16) prepared for the returned letter's code, if any; refused when
    it no longer waits for its registration (a new code would then open nothing, or the wrong thing)."""
    code = session.get(RegistrationCode, letter.code_id) if letter.code_id is not None else None
    if code is None or code.login_id is None:
        return None
    login = session.get(Login, code.login_id)
    if login is None or login.status != LoginStatus.PENDING:
        raise CannotApprove(N_("the login the fund prepared with this letter no longer waits for its "
                                    "registration; close this case"))
    return login.id


def withdraw_prepared_login(session: Session, case: Case, actor: str, now: datetime) -> None:  # CASE.close
    """Closing a returned R16 letter without sending it again: the login the fund prepared can never be
    completed, so it is withdrawn, which frees its e-mail address for a new registration."""
    letter = returned_letter(session, case)
    code = session.get(RegistrationCode, letter.code_id) if letter is not None and letter.code_id else None
    login = session.get(Login, code.login_id) if code is not None and code.login_id else None
    if login is None or login.status != LoginStatus.PENDING:
        return
    login.status, login.deactivated_at = LoginStatus.DEACTIVATED, now
    audit.record(session, audit.Entry(actor, "login.deactivated", login.member_id, f"login:{login.id}",
                                      {"reason": "its registration letter came back and was not sent again"}), now)


def _staff(session: Session, staff_id: int) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or not staff.active:
        raise ReturnedMailError(N_("your staff login is not active"))
    return staff


@dataclass(frozen=True)
class Facts:
    """What the case page shows beside the desk's own view."""

    letter: Letter | None  # the letter that came back
    waiting_address: list[str]  # recorded by a clerk, waiting for another's approval
    waiting_key: str  # what the approval form sends back (AddressSeen)
    recorded_by: str  # that clerk, as "name (username)"


def case_facts(session: Session, case: Case, now: datetime) -> Facts:
    member = session.get(Member, case.member_id) if case.member_id else None
    recorder = session.get(StaffUser, case.recorded_by) if case.recorded_by else None
    waiting = recorded_address(case, member)
    return Facts(returned_letter(session, case), waiting, seen_key(waiting),
                 f"{recorder.name} ({recorder.username})" if recorder else "")


# Sent again (approved) or closed with nothing more to send; never rejected: nobody asked for it.
CASE = CaseKind(KIND, approve=approve_case, facts=case_facts, close=withdraw_prepared_login, may_reject=False,
                may_close=True, own_approval_form=True)
