"""Telling staff that cases wait for them: one e-mail per staff member at most every 15 minutes, only when an
open case they may decide is newer than the ones their last e-mail counted, and only counts per kind and a link
(no member data in a mailbox). Beat runs this every minute; two runs at once send each mail once, because the
e-mail is queued only by the run whose conditional UPDATE of the staff member's notice row succeeded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import config, mail
from core.domain.staff import may_decide
from core.domain.states import CaseStatus
from core.models import Case, StaffNotice, StaffUser
from core.translatable import N_

EVERY = timedelta(minutes=15)
KIND_NAMES = {"new_code": "New code requests", "code_exhausted": N_("Too many wrong codes"),
              "trustee_code": "Codes for a trustee", "exceptional_registration": "Registrations by the fund",
              "stale_logins": "Deactivations of old logins", "returned_mail": "Returned letters",
              "support": "Support requests"}


@dataclass(frozen=True)
class Waiting:
    """Open cases of one kind recorded by one staff member (or by nobody: opened by the system)."""

    kind: str
    recorded_by: int | None
    count: int
    newest: int


def open_cases(session: Session) -> list[Waiting]:
    """Open cases per kind and recorder: counts and newest id. Walks the (status, ...) index over the open cases."""
    rows = session.execute(select(Case.kind, Case.recorded_by, func.count(), func.max(Case.id))
                           .where(Case.status == CaseStatus.OPEN).group_by(Case.kind, Case.recorded_by))
    return [Waiting(kind, recorded_by, count, newest) for kind, recorded_by, count, newest in rows]


def _per_kind(waiting: list[Waiting]) -> dict[str, tuple[int, int]]:
    """(count, newest id) per kind."""
    found: dict[str, tuple[int, int]] = {}
    for row in waiting:
        count, newest = found.get(row.kind, (0, 0))
        found[row.kind] = (count + row.count, max(newest, row.newest))
    return found


def notify(session: Session, now: datetime) -> int:
    """Queue the e-mails that are due; returns how many."""
    waiting = open_cases(session)
    if not waiting:
        return 0
    staff = list(session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)))
    _ensure_rows(session, [member.id for member in staff])
    return sum(_notify_one(session, member, waiting, now) for member in staff)


def _notify_one(session: Session, staff: StaffUser, waiting: list[Waiting], now: datetime) -> int:
    # A case someone recorded waits for another staff member (four eyes, R16): it is not news to its recorder.
    theirs = _per_kind([row for row in waiting
                        if may_decide(staff.role, row.kind) and row.recorded_by != staff.id])
    if not theirs:
        return 0
    newest = max(newest for _, newest in theirs.values())
    claimed = session.scalar(
        update(StaffNotice)
        .where(StaffNotice.staff_id == staff.id, StaffNotice.told_up_to < newest,
               or_(StaffNotice.sent_at.is_(None), StaffNotice.sent_at <= now - EVERY))
        .values(sent_at=now, told_up_to=newest).returning(StaffNotice.staff_id)
        .execution_options(synchronize_session=False))
    if claimed is None:
        return 0
    per_kind = [(KIND_NAMES.get(kind, kind), count) for kind, (count, _) in sorted(theirs.items())]
    settings = config.get()
    mail.queue(session, to=staff.email, name="staff_cases_waiting", lang="en",
               context={"staff_name": staff.name, "per_kind": per_kind, "total": sum(c for _, c in per_kind),
                        "desk_url": f"{settings.public_base_url}/staff/"},
               key=f"staff-notice:{staff.id}:{newest}", now=now)
    return 1


def _ensure_rows(session: Session, staff_ids: list[int]) -> None:
    """One notice row per staff member, made once; a concurrent run making the same row is no error."""
    if not staff_ids:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(StaffNotice).values([{"staff_id": i, "told_up_to": 0} for i in staff_ids])
                    .on_conflict_do_nothing(index_elements=["staff_id"]))
