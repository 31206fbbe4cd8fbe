"""The staff desk's queue: one list of every case that needs a person, filtered by kind, state, age and member or
found by one search field (core.desk.search), with the counts per state. Keyset pagination over
(status, created_at) and (status, kind, created_at) indexes, so the first page and a filtered page cost the same
with 200,000 cases as with 200 (see `python -m bench desk`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, literal, or_, select, true, union
from sqlalchemy.orm import Session, aliased

from core.desk import kinds, search
from core.domain.staff import Cursor, decode_cursor
from core.domain.states import CaseStatus
from core.models import Case, Letter, Member, Request

PAGE_SIZE = 50
COUNT_CAP = 10_000
# A search that finds at most this many cases hands the page their ids; a broader one is asked of each case the
# page walks past (core.desk.desk_queue.found_cases).
SEARCH_IDS_CAP = 2_000
STATUSES = ("open", "approved", "rejected", "closed")
KINDS = tuple(kinds.KINDS)
AGES = (1, 3, 7, 30)  # "older than N days" on the queue


@dataclass(frozen=True)
class Filters:
    status: str = CaseStatus.OPEN
    kind: str = ""
    member_number: str = ""
    older_than_days: int = 0  # 0: any age
    search: str = ""  # a reference, case or member number, UID or name (core.desk.search)

    @classmethod
    def parse(cls, status: str | None, kind: str | None, member_number: str | None,
              age: str | None = None, search_text: str | None = None) -> Filters:
        """Anything unknown falls back to 'no filter', so an edited URL never breaks the page."""
        days = int(age) if age and age.isdigit() and int(age) in AGES else 0
        return cls(status if status in STATUSES else CaseStatus.OPEN, kind if kind in KINDS else "",
                   (member_number or "").strip()[:20], days, search.parse(search_text).text)


@dataclass(frozen=True)
class Row:
    id: int
    kind: str
    status: str
    why: str
    created_at: datetime
    decided_at: datetime | None
    member_number: str
    register_name: str  # the member's name in the register; empty when the number is not in it
    name_as_given: str  # the company name the requester typed; empty without a request
    reference: str
    recorded_by: int | None = None  # the staff member who recorded it, who may not decide it (four eyes)

    @property
    def company(self) -> str:
        return self.register_name or self.name_as_given

    @property
    def names_differ(self) -> bool:
        """Whether the typed name says something the register's does not (case and spacing aside)."""
        def plain(name: str) -> str:
            return " ".join(name.casefold().split())

        return bool(self.register_name and self.name_as_given) and plain(self.register_name) != plain(
            self.name_as_given)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    counts: dict[str, int]
    next_cursor: str | None = None
    prev_cursor: str | None = None


@dataclass(frozen=True)
class _Reading:
    """One way the search text can name a case: `condition` on `table`, reached from the case by `on` (or on the
    case itself when `table` is None)."""

    table: Any
    on: Callable[[Any], ColumnElement[bool]]
    condition: ColumnElement[bool]


def _request_of(case: Any) -> ColumnElement[bool]:
    return Request.id == case.request_id


def _member_of(case: Any) -> ColumnElement[bool]:
    return Member.id == case.member_id


def _member_number_readings(member_number: str) -> list[_Reading]:
    """Known members are found through the case's member, unknown ones only through the number typed in the
    request. Both start from an index on the number."""
    return [_Reading(Member, _member_of, Member.member_number == member_number),
            _Reading(Request, _request_of, Request.member_number == member_number)]


def _readings(term: search.Term) -> list[_Reading]:
    """The cases the search text can mean, each reading an exact match on an index or a name on a trigram index:
    a member number, a request's reference (R-…, S-…), a letter's (L-…: the cases of the member it went to), a
    case number, a UID (in the register or as given), a part of the register's or the typed company name or of the
    requester's name."""
    found = _member_number_readings(term.text)
    if term.reference:
        found.append(_Reading(Request, _request_of, Request.reference == term.reference))
        found.append(_Reading(Letter, lambda case: Letter.member_id == case.member_id,
                              Letter.reference == term.reference))
    if term.number is not None:
        found.append(_Reading(None, lambda case: case.id == term.number, true()))
    if term.uid:
        found.append(_Reading(Member, _member_of, Member.uid == term.uid))
        found.append(_Reading(Request, _request_of, Request.uid == term.uid))
    if term.searches_names:
        found.append(_Reading(Member, _member_of, search.name_matches(Member.name, term)))
        found.append(_Reading(Request, _request_of, or_(search.name_matches(Request.company_name, term),
                                                        search.name_matches(Request.requester_name, term))))
    return found


def _cases_read(reading: _Reading) -> Select[Any]:
    if reading.table is None:
        return select(Case.id).where(reading.on(Case))
    return select(Case.id).join(reading.table, reading.on(Case)).where(reading.condition)


def _finds_this_case(reading: _Reading) -> ColumnElement[bool]:
    """The reading asked of the case at hand: a scalar subquery that PostgreSQL runs per case, with an index
    lookup. (As EXISTS, the planner would turn it into a hash of every case the reading finds, built up front.)"""
    if reading.table is None:
        return reading.on(Case)
    # Only the case is the outer query's: the page joins member and request too, and they must not be taken for
    # the ones read here.
    return (select(literal(1)).select_from(reading.table).where(reading.on(Case), reading.condition).limit(1)
            .correlate(Case).scalar_subquery().is_not(None))


def member_cases_query(member_number: str) -> Select[Any]:
    """The cases of this member number; resolving them first gives the planner real ids."""
    by_member, by_request = (_cases_read(reading) for reading in _member_number_readings(member_number))
    return by_member.union(by_request)  # type: ignore[return-value]


def search_cases_query(term: search.Term) -> CompoundSelect:
    """Every case the search finds, as one flat UNION of plain SELECTs: SQLite (the embedded default) refuses a
    UNION nested in another."""
    return union(*(_cases_read(reading) for reading in _readings(term)))


def found_cases(session: Session, term: search.Term) -> ColumnElement[bool]:
    """Whether a case is one the search finds, in the form that reads fewest rows.

    Most searches find a few cases: their ids are looked up first (as a member number's are), so the page reads
    those cases and nothing else, whatever the planner would have guessed a name matches. A common name matches
    more than SEARCH_IDS_CAP cases; then listing them all would cost more than the page, and each case the page
    walks past in its tab's order is asked instead whether the search finds it, until the page is full."""
    ids = list(session.scalars(search_cases_query(term).limit(SEARCH_IDS_CAP + 1)))
    if len(ids) <= SEARCH_IDS_CAP:
        return Case.id.in_(ids)
    return or_(*(_finds_this_case(reading) for reading in _readings(term)))


def scope_of(session: Session, filters: Filters, now: datetime | None = None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.kind:
        where.append(Case.kind == filters.kind)
    if filters.older_than_days:
        if now is None:
            raise ValueError("the age filter needs the current time")
        # A range on created_at: the same index walk as the page itself.
        where.append(Case.created_at < now - timedelta(days=filters.older_than_days))
    if filters.member_number:
        where.append(Case.id.in_(list(session.scalars(member_cases_query(filters.member_number)))))
    if filters.search:
        where.append(found_cases(session, search.parse(filters.search)))
    return where


def counts(session: Session, filters: Filters, scope: list[ColumnElement[bool]] | None = None,
           now: datetime | None = None) -> dict[str, int]:
    """Cases per status, each counted up to COUNT_CAP: a bounded walk of the (status, created_at) index, so the
    tabs cost the same with 200,000 decided cases as with 200. The page shows "10000+" past the cap."""
    scope = scope_of(session, filters, now) if scope is None else scope
    found = {}
    for status in STATUSES:
        # Selecting only the indexed column lets PostgreSQL answer from the index alone.
        capped = (select(Case.status).where(Case.status == status, *scope)
                  .limit(COUNT_CAP + 1).subquery())
        found[status] = session.scalar(select(func.count()).select_from(capped)) or 0
    return found


def _beyond(cursor: Cursor, later: bool) -> ColumnElement[bool]:
    # The first comparison alone is a range on the (status, created_at) index; the second breaks ties by id.
    if later:
        return and_(Case.created_at >= cursor.created_at,
                    or_(Case.created_at > cursor.created_at, Case.id > cursor.id))
    return and_(Case.created_at <= cursor.created_at, or_(Case.created_at < cursor.created_at, Case.id < cursor.id))


def page_query(filters: Filters, scope: list[ColumnElement[bool]], cursor: Cursor | None, later: bool,
               limit: int) -> Select:
    """The rows of one page, walking the (status, created_at) index from the cursor, towards later or earlier."""
    # A case not yet tied to a member (a support request, a request not yet decided) shows the register's name for
    # the number typed, as its case page does (desk.member_for): one more lookup on the unique member number.
    by_number = aliased(Member)
    query = (
        select(Case.id, Case.kind, Case.status, Case.why, Case.created_at, Case.decided_at,
               func.coalesce(Member.member_number, Request.member_number, ""),
               func.coalesce(Member.name, by_number.name, ""), func.coalesce(Request.company_name, ""),
               func.coalesce(Request.reference, ""), Case.recorded_by)
        .outerjoin(Request, Request.id == Case.request_id)
        .outerjoin(Member, Member.id == Case.member_id)
        .outerjoin(by_number, and_(Case.member_id.is_(None), by_number.member_number == Request.member_number))
        .where(Case.status == filters.status, *scope)
    )
    if cursor is not None:
        query = query.where(_beyond(cursor, later=later))
    order = (Case.created_at.asc(), Case.id.asc()) if later else (Case.created_at.desc(), Case.id.desc())
    return query.order_by(*order).limit(limit)


def list_cases(session: Session, filters: Filters, after: str | None = None, before: str | None = None,
               page_size: int = PAGE_SIZE, now: datetime | None = None) -> Page:
    """One page of cases: open ones oldest first (who waited longest comes first), decided ones newest first."""
    ascending = filters.status == CaseStatus.OPEN
    after_cursor, before_cursor = decode_cursor(after), decode_cursor(before)
    backwards = before_cursor is not None and after_cursor is None
    cursor = before_cursor if backwards else after_cursor
    scope = scope_of(session, filters, now)
    query = page_query(filters, scope, cursor, later=ascending != backwards, limit=page_size + 1)
    found = [Row(*r) for r in session.execute(query).tuples()]
    more = len(found) > page_size
    rows = found[:page_size]
    if backwards:
        rows.reverse()
    has_next, has_prev = (True, more) if backwards else (more, cursor is not None)
    return Page(
        rows=rows,
        counts=counts(session, filters, scope),
        next_cursor=Cursor(rows[-1].created_at, rows[-1].id).encode() if rows and has_next else None,
        prev_cursor=Cursor(rows[0].created_at, rows[0].id).encode() if rows and has_prev else None,
    )
