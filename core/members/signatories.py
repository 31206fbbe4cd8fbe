"""A member's authorised signatories (R16), kept by staff as the commercial register lists them: added one by one
on the staff pages, ended on a day, or loaded in bulk from a file (`backoffice signatories import`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.domain import signing
from core.domain.register import RowError
from core.domain.signatory_rows import SignatoryRow
from core.models import Member, Signatory
from core.refusal import Refused
from core.translatable import N_

SOURCE = N_("commercial register")
ACTOR = "signatories-import"


@dataclass(frozen=True)
class Entry:
    """One signatory as staff type it from a register extract."""

    name: str
    function: str
    authority: str
    valid_from: date | None
    valid_until: date | None
    extract_date: date | None
    source: str = SOURCE


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


def member_by_number(session: Session, member_number: str) -> Member | None:
    return session.scalar(select(Member).where(Member.member_number == member_number.strip()))


def of_member(session: Session, member_id: int) -> list[Signatory]:
    """Current and past entries, the ones still valid first, then by name."""
    rows = session.scalars(select(Signatory).where(Signatory.member_id == member_id)
                           .order_by(Signatory.valid_until.is_not(None), func.lower(Signatory.name), Signatory.id))
    return list(rows)


def as_signer(signatory: Signatory) -> signing.Signer:
    return signing.Signer(signatory.id, signatory.name, signatory.authority, signatory.valid_from,
                          signatory.valid_until)


def _check(entry: Entry) -> Entry:
    name = " ".join(entry.name.split())
    if not name:
        raise Refused(N_("Enter the person's name as in the commercial register"), "name")
    if len(name) > 200 or len(entry.function) > 200:
        raise Refused(N_("The name and the function can have at most 200 characters"), "name")
    if entry.authority not in signing.AUTHORITIES:
        raise Refused(N_("Choose the kind of signing authority"), "authority")
    if entry.valid_from and entry.valid_until and entry.valid_until < entry.valid_from:
        raise Refused(N_("The last valid day must be on or after the first valid day"), "valid_until")
    return Entry(name, entry.function.strip(), entry.authority, entry.valid_from, entry.valid_until,
                 entry.extract_date, entry.source.strip()[:200] or SOURCE)


def add(session: Session, actor: str, member_id: int, entry: Entry, now: datetime) -> int:
    entry = _check(entry)
    signatory = Signatory(member_id=member_id, name=entry.name, function=entry.function, authority=entry.authority,
                          valid_from=entry.valid_from, valid_until=entry.valid_until, source=entry.source,
                          extract_date=entry.extract_date, created_at=now)
    session.add(signatory)
    session.flush()
    audit.record(session, audit.Entry(actor, "signatory.added", member_id, f"signatory:{signatory.id}",
                                      {"authority": entry.authority, "source": entry.source}), now)
    return signatory.id


def end(session: Session, actor: str, member_id: int, signatory_id: int, last_day: date, now: datetime) -> None:
    """The register shows the authority ended (deletion, resignation): it counts up to and with `last_day`."""
    signatory = session.get(Signatory, signatory_id)
    if signatory is None or signatory.member_id != member_id:
        raise Refused(N_("No such signatory for this member"))
    if signatory.valid_from is not None and last_day < signatory.valid_from:
        raise Refused(N_("The last valid day must be on or after the first valid day"), "last_day")
    signatory.valid_until = last_day
    audit.record(session, audit.Entry(actor, "signatory.ended", member_id, f"signatory:{signatory.id}",
                                      {"last_day": last_day.isoformat()}), now)


def unknown_members(session: Session, rows: Sequence[SignatoryRow]) -> list[RowError]:
    """Rows naming a member number the register does not hold: bad rows, like any other."""
    numbers = sorted({row.member_number for row in rows})
    known = set(session.scalars(select(Member.member_number).where(Member.member_number.in_(numbers))))
    return [RowError(row.row, f"member number '{row.member_number}' is not in the member register")
            for row in rows if row.member_number not in known]


def _key(member_id: int, name: str, authority: str, valid_from: date | None) -> tuple[int, str, str, date | None]:
    return member_id, " ".join(name.split()).casefold(), authority, valid_from


def import_rows(session: Session, rows: Sequence[SignatoryRow], now: datetime, source: str = SOURCE
                ) -> ImportSummary:
    """Add new entries, update known ones (matched by member, person, authority and first valid day), in the
    caller's transaction. Importing the same file twice changes nothing."""
    members = {m.member_number: m.id for m in
               session.scalars(select(Member).where(Member.member_number.in_({r.member_number for r in rows})))}
    existing = {_key(s.member_id, s.name, s.authority, s.valid_from): s for s in
                session.scalars(select(Signatory).where(Signatory.member_id.in_(set(members.values()))))}
    summary = ImportSummary()
    entries: list[audit.Entry] = []
    for row in rows:
        member_id = members[row.member_number]
        known = existing.get(_key(member_id, row.name, row.authority, row.valid_from))
        if known is None:
            signatory = Signatory(member_id=member_id, name=" ".join(row.name.split()), function=row.function,
                                  authority=row.authority, valid_from=row.valid_from, valid_until=row.valid_until,
                                  source=source, extract_date=row.extract_date, created_at=now)
            session.add(signatory)
            session.flush()
            existing[_key(member_id, row.name, row.authority, row.valid_from)] = signatory
            summary.created += 1
            entries.append(audit.Entry(ACTOR, "signatory.added", member_id, f"signatory:{signatory.id}",
                                       {"authority": row.authority, "source": source}))
            continue
        wanted = {"function": row.function, "valid_until": row.valid_until, "extract_date": row.extract_date,
                  "source": source}
        changed = [name for name, value in wanted.items() if getattr(known, name) != value]
        if not changed:
            summary.unchanged += 1
            continue
        for name in changed:
            setattr(known, name, wanted[name])
        summary.updated += 1
        entries.append(audit.Entry(ACTOR, "signatory.updated", member_id, f"signatory:{known.id}",
                                   {"fields": changed}))
    audit.record_many(session, entries, now)
    return summary
