"""The desk with 200,000 cases: every page, tab count and filter walks an index instead of the whole table.
Checked through PostgreSQL's plans, not the clock, so the test means the same on a busy machine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from core import db
from core.desk import desk, search
from core.domain.staff import Cursor
from core.domain.states import CaseStatus

CASES = 200_000


@pytest.fixture(scope="module")
def big_desk(pg_database):
    """Filled once for this module (a minute's work per test otherwise); emptied again by the next `pg` test."""
    from core.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.tables.values())  # one TRUNCATE: order is irrelevant
    with db.engine().begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        c.execute(text(
            "INSERT INTO request (reference, kind, status, outcome, member_number, uid, company_name, requester_name,"
            " requester_role, requester_email, requester_phone, reason, administrators_cannot_help, language,"
            " received_at) SELECT 'R-' || g, 'new_code', 'in_review', 'staff_case', (g % 40000)::text,"
            " 'CHE-100.155.212', 'Firma ' || g, 'X', 'Y', 'x@example.ch', '', 'r', false, 'de',"
            " now() - g * interval '1 second' FROM generate_series(1, :n) g"), {"n": CASES})
        c.execute(text(
            "INSERT INTO staff_case (kind, status, why, request_id, created_at, decision_reason)"
            " SELECT CASE WHEN id % 3 = 0 THEN 'code_exhausted' ELSE 'new_code' END,"
            " CASE WHEN id % 10 = 0 THEN 'open' ELSE 'rejected' END, 'why', id, received_at, '' FROM request"))
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE staff_case, request, member"))
    return pg_database


def _plan(query: Select | Callable[[Session], Select]) -> str:
    with db.unit_of_work() as s:
        query = query(s) if callable(query) else query
        compiled = query.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        return "\n".join(s.execute(text(f"EXPLAIN {compiled}")).scalars())


MIDDLE = Cursor(datetime(2025, 1, 1, tzinfo=UTC), 100_000)


@pytest.mark.parametrize(("filters", "cursor", "later"), [
    (desk.Filters(CaseStatus.OPEN), None, True),
    (desk.Filters(CaseStatus.OPEN), MIDDLE, True),
    (desk.Filters(CaseStatus.OPEN), MIDDLE, False),
    (desk.Filters(CaseStatus.REJECTED), None, False),
    (desk.Filters(CaseStatus.REJECTED, "code_exhausted"), MIDDLE, False),
])
def test_a_page_of_200000_cases_walks_a_status_created_index(big_desk, filters, cursor, later):
    plan = _plan(lambda s: desk.page_query(filters, desk.scope_of(s, filters), cursor, later, desk.PAGE_SIZE + 1))
    # A kind filter may walk (status, kind, created_at) instead: the same range scan, without skipping other kinds.
    assert "ix_staff_case_status_created" in plan or (filters.kind and "ix_staff_case_status_kind_created" in plan)
    assert "Seq Scan on staff_case" not in plan and "Seq Scan on request" not in plan


def test_the_member_number_filter_starts_from_the_number(big_desk):
    found = _plan(desk.member_cases_query("4242"))
    assert "ix_request_member_number" in found and "uq_staff_case_request_id" in found
    assert "Seq Scan on staff_case" not in found and "Seq Scan on request" not in found
    filters = desk.Filters(CaseStatus.REJECTED, "", "4242")
    page = _plan(lambda s: desk.page_query(filters, desk.scope_of(s, filters), None, False, desk.PAGE_SIZE + 1))
    assert "pk_staff_case" in page and "Seq Scan on staff_case" not in page


def test_the_status_counts_are_capped_and_right(big_desk):
    with db.unit_of_work() as s:
        page = desk.list_cases(s, desk.Filters(CaseStatus.OPEN))
        assert page.counts == {CaseStatus.OPEN: desk.COUNT_CAP + 1, CaseStatus.APPROVED: 0,
                               CaseStatus.REJECTED: desk.COUNT_CAP + 1, CaseStatus.CLOSED: 0}
        assert len(page.rows) == desk.PAGE_SIZE and page.next_cursor and page.prev_cursor is None
        assert desk.counts(s, desk.Filters(CaseStatus.OPEN, "", "4242")) == {
            CaseStatus.OPEN: 0, CaseStatus.APPROVED: 0, CaseStatus.REJECTED: 5, CaseStatus.CLOSED: 0}


@pytest.mark.parametrize(("text", "index"), [
    ("firma 4242", "ix_request_company_name_trgm"),  # part of a name, any case: the trigram index
    ("R-AB12-CD34", "uq_request_reference"),  # a reference the member quotes
    ("CHE-109.322.551", "ix_request_uid"),
    ("4242", "ix_request_member_number"),  # a member number (or a case number)
])
def test_the_search_field_starts_from_an_index_with_200000_cases(big_desk, text, index):
    found = _plan(desk.search_cases_query(search.parse(text)).limit(desk.SEARCH_IDS_CAP + 1))
    assert index in found, found
    assert "Seq Scan on staff_case" not in found and "Seq Scan on request" not in found, found
    filters = desk.Filters(CaseStatus.REJECTED, search=text)
    # The page reads the cases found by their ids, whatever the planner guessed the search would find (nothing
    # found: nothing read).
    page = _plan(lambda s: desk.page_query(filters, desk.scope_of(s, filters), None, False, desk.PAGE_SIZE + 1))
    assert "pk_staff_case" in page or "One-Time Filter: false" in page, page
    assert "Seq Scan on staff_case" not in page, page


def test_a_name_that_many_cases_carry_is_checked_case_by_case_along_the_tab(big_desk):
    """"firma 1" is in 111,111 names (Firma 1, 10…19, 100…199, …): more than SEARCH_IDS_CAP. Collecting them all
    first took seconds; the page instead walks its tab in order and asks of each case whether the search finds it,
    and stops when the page is full."""
    filters = desk.Filters(CaseStatus.REJECTED, search="firma 1")
    plan = _plan(lambda s: desk.page_query(filters, desk.scope_of(s, filters), None, False, desk.PAGE_SIZE + 1))
    assert "ix_staff_case_status_created" in plan, plan
    assert "Seq Scan on staff_case" not in plan and "Seq Scan on request" not in plan, plan
    with db.unit_of_work() as s:
        page = desk.list_cases(s, filters)
    assert len(page.rows) == desk.PAGE_SIZE and page.next_cursor
    assert all(row.name_as_given.startswith("Firma 1") and row.status == CaseStatus.REJECTED for row in page.rows)
    assert [row.created_at for row in page.rows] == sorted((row.created_at for row in page.rows), reverse=True)
    assert page.counts[CaseStatus.REJECTED] == desk.COUNT_CAP + 1 and page.counts[CaseStatus.OPEN] == desk.COUNT_CAP + 1


def test_a_name_search_finds_its_cases_among_200000(big_desk):
    with db.unit_of_work() as s:
        page = desk.list_cases(s, desk.Filters(CaseStatus.REJECTED, search="FIRMA 19999"))
    # Every tenth case is open, so 199990 is not on the tab of rejected ones.
    assert sorted(row.name_as_given for row in page.rows) == ["Firma 19999"] + [f"Firma 19999{n}" for n in range(1, 10)]
