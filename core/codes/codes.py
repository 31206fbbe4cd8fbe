"""Issuing registration codes and their letters (R1, R2, R15, R20), and letters without a code (R17). The code
itself is drawn when the letter is rendered, so that it exists only on paper; the database holds its keyed hash
from then on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core import audit, clock, config, outbox, refs
from core.domain import codes
from core.domain.addresses import PostalAddress
from core.domain.states import CodeStatus, LetterStatus
from core.models import Letter, Member, RegistrationCode, Trustee
from letters.compose import CODELESS_KINDS

REGISTRATION = "registration"
# R16: a code that completes one login the fund prepared. A member's own new code must not void it (nor it the
# member's), so it has a purpose of its own; R3's block stops both. Its "same purpose" in R2 is the same prepared
# login: a new code for it voids that login's older unused code, never the code of another login prepared for the
# same member (two people registered on two letters each keep theirs).
PREPARED_LOGIN = "prepared_login"
ALL_PURPOSES = (REGISTRATION, PREPARED_LOGIN)
RENDER_CHUNK = 200  # letters per render task: large enough to amortise, small enough to retry cheaply


def address_on_file(member: Member) -> PostalAddress:
    """R1: letters go only to the address the fund holds, never to one given in a request."""
    return member.postal_address


def void_unused(session: Session, member_ids: Sequence[int], purpose: str | tuple[str, ...], now: datetime,
                reason: str, login_id: int | None = None) -> None:
    """R2: a new code for the same member and purpose voids every older unused one (and its unsent letter); for a
    prepared login (`login_id`), only that login's."""
    purposes = (purpose,) if isinstance(purpose, str) else purpose
    for_login = [] if login_id is None else [RegistrationCode.login_id == login_id]
    voided = session.execute(
        update(RegistrationCode)
        .where(RegistrationCode.member_id.in_(member_ids), RegistrationCode.purpose.in_(purposes),
               RegistrationCode.status == CodeStatus.ISSUED, *for_login)
        .values(status=CodeStatus.VOIDED, voided_at=now, void_reason=reason)
        .returning(RegistrationCode.id, RegistrationCode.member_id)
    ).all()
    if voided:
        session.execute(
            update(Letter).where(Letter.code_id.in_([cid for cid, _ in voided]), Letter.status == LetterStatus.PENDING)
            .values(status=LetterStatus.CANCELLED)
        )
        # With the member, so its administrators see in their security history that an old code stopped working.
        audit.record_many(
            session, [audit.Entry("system", "code.voided", member_id, f"code:{cid}", {"reason": reason})
                      for cid, member_id in voided],
            now,
        )


def issue_letters(
    session: Session,
    members: Sequence[Member],
    kind: str,
    now: datetime,
    actor: str = "system",
    request_id: int | None = None,
    purpose: str = REGISTRATION,
) -> list[int]:
    """One new code and one code letter per member, queued for rendering. Returns the letter ids."""
    if not members:
        return []
    settings = config.get()
    letter_date: date = clock.today_in_zurich(now)
    expiry = codes.expires_on(letter_date, settings.code_validity_days)
    if purpose == REGISTRATION:  # a prepared login's code replaces nothing: each belongs to its own login
        void_unused(session, [m.id for m in members], REGISTRATION, now, "replaced")
    code_ids = session.scalars(
        insert(RegistrationCode).returning(RegistrationCode.id, sort_by_parameter_order=True),
        [dict(member_id=m.id, purpose=purpose, status=CodeStatus.ISSUED, issued_at=now, expires_on=expiry,
              request_id=request_id, void_reason="") for m in members],
    ).all()
    letter_ids = session.scalars(
        insert(Letter).returning(Letter.id, sort_by_parameter_order=True),
        [dict(reference=refs.new("L"), member_id=m.id, kind=kind, language=m.language,
              address=address_on_file(m).lines(), postcode=m.postcode, letter_date=letter_date, code_id=cid,
              status=LetterStatus.PENDING, pdf_path="", created_at=now)
         for m, cid in zip(members, code_ids, strict=True)],
    ).all()
    audit.record_many(
        session,
        [audit.Entry(actor, "code.issued", m.id, f"letter:{lid}", {"kind": kind, "expires_on": expiry.isoformat()})
         for m, lid in zip(members, letter_ids, strict=True)],
        now,
    )
    for start in range(0, len(letter_ids), RENDER_CHUNK):
        chunk = list(letter_ids[start : start + RENDER_CHUNK])
        outbox.add(session, "letters.render", {"letter_ids": chunk}, key=f"render:{chunk[0]}-{chunk[-1]}", now=now)
    return list(letter_ids)


def issue_letter(session: Session, member: Member, kind: str, now: datetime, actor: str = "system",
                 request_id: int | None = None, purpose: str = REGISTRATION) -> int:
    return issue_letters(session, [member], kind, now, actor, request_id, purpose)[0]


def issue_prepared_login_letter(session: Session, member: Member, login_id: int, kind: str, now: datetime,
                                actor: str) -> int:
    """R16: the code that completes one login the fund prepared, in a letter to the member's address on file (R1).
    R2: it voids that login's older unused code, and nothing else."""
    void_unused(session, [member.id], PREPARED_LOGIN, now, "replaced", login_id=login_id)
    letter_id = issue_letter(session, member, kind, now, actor=actor, purpose=PREPARED_LOGIN)
    code_id = session.scalar(select(Letter.code_id).where(Letter.id == letter_id))
    session.get_one(RegistrationCode, code_id).login_id = login_id
    return letter_id


def trustee_address(trustee: Trustee) -> PostalAddress:
    """R1/R15: a trustee code goes to the trustee's address as the fund recorded it, never to one in a request."""
    return trustee.postal_address


def issue_trustee_letter(session: Session, member: Member, trustee: Trustee, now: datetime, actor: str,
                         request_id: int | None = None, login_id: int | None = None) -> int:
    """R15: one code for `member`, sent to the trustee's address in the trustee's language; using it registers a
    trustee login with a mandate for the member. R2: it voids the member's older unused codes."""
    settings = config.get()
    letter_date = clock.today_in_zurich(now)
    expiry = codes.expires_on(letter_date, settings.code_validity_days)
    void_unused(session, [member.id], REGISTRATION, now, "replaced")
    code = RegistrationCode(member_id=member.id, purpose=REGISTRATION, status=CodeStatus.ISSUED, issued_at=now,
                            expires_on=expiry, request_id=request_id, void_reason="", trustee_id=trustee.id,
                            login_id=login_id)
    session.add(code)
    session.flush()
    letter = Letter(reference=refs.new("L"), member_id=member.id, kind="trustee_code", language=trustee.language,
                    address=trustee_address(trustee).lines(), postcode=trustee.postcode, letter_date=letter_date,
                    code_id=code.id, status=LetterStatus.PENDING, pdf_path="", created_at=now, trustee_id=trustee.id)
    session.add(letter)
    session.flush()
    audit.record(session, audit.Entry(actor, "code.issued", member.id, f"letter:{letter.id}",
                                      {"kind": "trustee_code", "trustee_id": trustee.id,
                                       "expires_on": expiry.isoformat()}), now)
    outbox.add(session, "letters.render", {"letter_ids": [letter.id]}, key=f"render:{letter.id}-{letter.id}", now=now)
    return letter.id


def issue_letter_without_code(session: Session, member: Member, kind: str, now: datetime,
                              actor: str = "system") -> int:
    """A letter that carries no code (e.g. `logins_deactivated`, R17), to the member's address on file (R1) in its
    language, queued for rendering like any other."""
    if kind not in CODELESS_KINDS:
        raise ValueError(f"letter kind {kind!r} carries a code; use issue_letter")
    letter = Letter(reference=refs.new("L"), member_id=member.id, kind=kind, language=member.language,
                    address=address_on_file(member).lines(), postcode=member.postcode,
                    letter_date=clock.today_in_zurich(now), code_id=None, status=LetterStatus.PENDING, pdf_path="",
                    created_at=now)
    session.add(letter)
    session.flush()
    audit.record(session, audit.Entry(actor, "letter.queued", member.id, f"letter:{letter.id}", {"kind": kind}), now)
    outbox.add(session, "letters.render", {"letter_ids": [letter.id]}, key=f"render:{letter.id}-{letter.id}", now=now)
    return letter.id
