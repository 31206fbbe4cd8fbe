"""The member register: import by member number, one transaction per chunk, and invite every member that has
no way into connect yet (R20). Each chunk costs a handful of set-based queries, whatever its size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, exists, insert, select, text
from sqlalchemy.orm import Session

from core import audit, clock
from core.codes import codes
from core.domain.register import RegisterRow
from core.domain.states import CodeStatus
from core.models import Letter, Login, Member, RegistrationCode

ACTOR = "register-import"
DEFAULT_CHUNK = 1000
# The columns the register owns; everything else on a member (code failures, timestamps) is the back office's.
REGISTER_FIELDS = ("uid", "name", "care_of", "street", "po_box", "postcode", "town", "language", "email")
# What a letter is made from (R1 address on file, R6 language): a change re-sends an invitation not yet printed.
LETTER_FIELDS = frozenset({"name", "care_of", "street", "po_box", "postcode", "town", "language"})
UNPRINTED = ("pending", "rendered")
# Two imports at once would both see a member as new (or as uninvited): one chunk at a time on PostgreSQL.
_IMPORT_LOCK = 0x6D656D62


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invitations: int = 0
    readdressed: int = 0  # of the invitations, those replacing an unprinted one made for an old address

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def __iadd__(self, other: ImportSummary) -> ImportSummary:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


class ImportInterrupted(Exception):
    """A chunk failed: the chunks before it are saved, and importing the same file again is safe."""

    def __init__(self, first_row: int, done: ImportSummary) -> None:
        super().__init__(f"the import stopped in the chunk starting at row {first_row}")
        self.first_row, self.done = first_row, done


def members_needing_invitation(session: Session, member_ids: Sequence[int], today: date) -> list[int]:
    """R20: of these members, those that never had a login and hold no code still usable today. A member whose
    logins were all deactivated asks for a new code instead (Situation 2, R5); it is not invited again."""
    if not member_ids:
        return []
    has_login = exists().where(Login.member_id == Member.id)
    has_usable_code = exists().where(
        RegistrationCode.member_id == Member.id, RegistrationCode.status == CodeStatus.ISSUED,
        RegistrationCode.expires_on >= today,
    )
    query = select(Member.id).where(Member.id.in_(member_ids), ~has_login, ~has_usable_code).order_by(Member.id)
    return list(session.scalars(query))


def members_with_unprinted_invitation(session: Session, member_ids: Sequence[int], today: date) -> list[int]:
    """R1: of these members, those whose invitation with a usable code has not been printed yet."""
    if not member_ids:
        return []
    query = (
        select(Letter.member_id).distinct()
        .join(RegistrationCode, RegistrationCode.id == Letter.code_id)
        .where(Letter.member_id.in_(member_ids), Letter.kind == "invitation", Letter.status.in_(UNPRINTED),
               RegistrationCode.status == CodeStatus.ISSUED, RegistrationCode.expires_on >= today)
    )
    return sorted(session.scalars(query))


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})


def _existing(session: Session, numbers: Sequence[str]) -> dict[str, Member]:
    found = session.scalars(select(Member).where(Member.member_number.in_(numbers)))
    return {member.member_number: member for member in found}


def _insert(session: Session, rows: Sequence[RegisterRow], now: datetime) -> list[Member]:
    """New members in one executemany, read back in one query: cheaper than an ORM insert returning objects."""
    if not rows:
        return []
    values = [dict(row.values(), code_failures=0, created_at=now, updated_at=now) for row in rows]
    session.execute(insert(cast(Table, Member.__table__)), values)
    created = _existing(session, [row.member_number for row in rows])
    return [created[row.member_number] for row in rows]


def _changed_fields(member: Member, row: RegisterRow) -> list[str]:
    return [name for name in REGISTER_FIELDS if getattr(member, name) != getattr(row, name)]


def _update(member: Member, row: RegisterRow, changed: Sequence[str], now: datetime) -> None:
    for name in changed:
        setattr(member, name, getattr(row, name))
    member.updated_at = now


def _invite(session: Session, members: Sequence[Member], readdressed: Sequence[int], now: datetime) -> tuple[int, int]:
    """Invitations for the members that need one, and new ones for the readdressed whose letter is unprinted
    (issuing voids the old code, and a letter with a voided code is cancelled, never printed)."""
    today = clock.today_in_zurich(now)
    wanted = set(members_needing_invitation(session, [m.id for m in members], today))
    resend = set(members_with_unprinted_invitation(session, readdressed, today))
    chosen = [m for m in members if m.id in wanted | resend]  # in register order, so the letters are too
    return len(codes.issue_letters(session, chosen, kind="invitation", now=now, actor=ACTOR)), len(resend)


def import_chunk(session: Session, rows: Sequence[RegisterRow], now: datetime, invite: bool = True) -> ImportSummary:
    """Upsert these rows by member number and queue their invitations; the caller commits."""
    if not rows:
        return ImportSummary()
    _lock(session)
    existing = _existing(session, [row.member_number for row in rows])
    created = _insert(session, [row for row in rows if row.member_number not in existing], now)
    by_number = {m.member_number: m for m in created} | existing
    changes: list[audit.Entry] = []
    readdressed: list[int] = []
    for row in rows:
        member = existing.get(row.member_number)
        changed = _changed_fields(member, row) if member is not None else []
        if member is not None and changed:
            _update(member, row, changed, now)
            # R1: letters go to the address on file, so who changed it and when is kept.
            changes.append(audit.Entry(ACTOR, "member.updated", member.id, f"member:{member.member_number}",
                                       {"fields": changed}))
            if LETTER_FIELDS.intersection(changed):
                readdressed.append(member.id)
    session.flush()
    summary = ImportSummary(created=len(created), updated=len(changes), unchanged=len(existing) - len(changes))
    if invite:
        chosen = [by_number[row.member_number] for row in rows]
        summary.invitations, summary.readdressed = _invite(session, chosen, readdressed, now)
    changes.append(audit.Entry(ACTOR, "register.imported", None, f"rows:{rows[0].row}-{rows[-1].row}",
                               {"created": summary.created, "updated": summary.updated,
                                "invitations": summary.invitations}))
    audit.record_many(session, changes, now)
    return summary


def import_register(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    rows: Sequence[RegisterRow],
    now: datetime,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], Any] | None = None,
    invite: bool = True,
) -> ImportSummary:
    """Import checked rows chunk by chunk, one transaction each (a 50,000-member go-live must not be one)."""
    total = ImportSummary()
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        try:
            with unit_of_work() as session:
                done = import_chunk(session, chunk, now, invite)
        except Exception as exc:
            raise ImportInterrupted(chunk[0].row, total) from exc
        total += done
        if progress is not None:
            progress(len(chunk))
    return total
