"""The desk's one queue: filters by kind, status, age and member, counts per state, open cases oldest first, and
the role rule (clerk / supervisor) enforced by the server on every decision (R16, R17, R18)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import create_staff, csrf, english_client, log_in, make_app, make_member, new_code_case

from core import clock, db
from core.desk import cases, desk
from core.domain.staff import decider_roles, may_decide
from core.domain.states import CaseStatus
from core.models import AuditEvent, Case


@pytest.fixture
def app(pg):
    return make_app()


def _case(kind: str, days_old: float, member_id: int | None = None, status: str = CaseStatus.OPEN) -> int:
    at = clock.now() - timedelta(days=days_old)
    with db.unit_of_work() as s:
        case = cases.open_case(s, kind=kind, why=f"a {kind} case", now=at, member_id=member_id)
        case.status = status
        return case.id


def _ids(page: desk.Page) -> list[int]:
    return [row.id for row in page.rows]


def _list(**filters: str) -> desk.Page:
    parsed = desk.Filters.parse(filters.get("status"), filters.get("kind"), filters.get("member"),
                                filters.get("age"))
    with db.unit_of_work() as s:
        return desk.list_cases(s, parsed, now=clock.now())


def test_the_queue_filters_by_kind_age_and_member_oldest_first(pg):
    member = make_member("777001")
    support_new = _case("support", 0.5, member)
    support_old = _case("support", 10, member)
    returned_old = _case("returned_mail", 40)
    new_code, _, _ = new_code_case("777002", at=clock.now() - timedelta(days=2))
    assert _ids(_list()) == [returned_old, support_old, new_code, support_new]
    assert _ids(_list(kind="support")) == [support_old, support_new]
    assert _ids(_list(age="7")) == [returned_old, support_old]
    assert _ids(_list(age="30")) == [returned_old]
    assert _ids(_list(member="777001")) == [support_old, support_new]
    assert _ids(_list(member="777002")) == [new_code]
    assert _ids(_list(kind="support", member="777001", age="1")) == [support_old]


def test_counts_cover_every_state_including_closed(pg):
    _case("support", 1)
    _case("support", 2, status=CaseStatus.CLOSED)
    _case("returned_mail", 3, status=CaseStatus.APPROVED)
    page = _list()
    assert page.counts == {CaseStatus.OPEN: 1, CaseStatus.APPROVED: 1, CaseStatus.REJECTED: 0, CaseStatus.CLOSED: 1}
    assert _list(kind="support").counts == {CaseStatus.OPEN: 1, CaseStatus.APPROVED: 0, CaseStatus.REJECTED: 0,
                                            CaseStatus.CLOSED: 1}


def test_unknown_filters_fall_back_to_no_filter():
    assert desk.Filters.parse("open", "no_such_kind", "", "5") == desk.Filters(CaseStatus.OPEN, "", "", 0)
    assert desk.Filters.parse("closed", "support", "", "7") == desk.Filters(CaseStatus.CLOSED, "support", "", 7)


def test_r16_r17_only_a_supervisor_decides_registration_and_deactivation_cases():
    assert not may_decide("clerk", "exceptional_registration") and not may_decide("clerk", "stale_logins")
    assert may_decide("supervisor", "stale_logins") and may_decide("clerk", "new_code")
    assert may_decide("clerk", "support") and may_decide("clerk", "returned_mail")
    assert not may_decide("intern", "support")
    assert decider_roles("stale_logins") == ("supervisor",) and decider_roles("support") == ("clerk", "supervisor")


def test_r17_a_clerk_cannot_reject_a_stale_logins_case_even_by_posting_directly(app):
    case_id = _case("stale_logins", 1)
    clerk = create_staff("carla.clerk", "Carla Clerk")
    client = english_client(app)
    log_in(client, clerk)
    page = client.get(f"/staff/cases/{case_id}")
    assert "Only a supervisor may decide this kind of case." in html.unescape(page.data.decode())
    token = csrf(page.data)
    answer = client.post(f"/staff/cases/{case_id}/reject",
                         data={"reject-csrf_token": token, "reject-reason": "not needed"})
    assert answer.status_code == 403
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.OPEN
        with pytest.raises(desk.NotAllowed):
            desk.approve(s, case_id, clerk.staff_id, "", clock.now())


def test_r18_a_supervisor_decides_it_and_the_decision_is_audited(pg):
    case_id = _case("stale_logins", 1)
    boss = create_staff("sara.supervisor", "Sara Supervisor", role="supervisor")
    with db.unit_of_work() as s:
        desk.reject(s, case_id, boss.staff_id, "the member has an active administrator", clock.now())
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.REJECTED
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "case.rejected"))
        assert event.actor == "staff:sara.supervisor" and event.subject == f"case:{case_id}"


def test_the_queue_page_shows_filters_labels_and_keeps_them_in_the_tabs(app):
    _case("support", 10)
    _case("returned_mail", 2)
    client = english_client(app)
    log_in(client, create_staff())
    page = html.unescape(client.get("/staff/?kind=support&age=7").data.decode())
    assert "Support request" in page and "Returned letter" not in page.split("<table")[-1]
    assert re.search(r'href="/staff/\?status=closed&amp;kind=support&amp;age=7"|'
                     r'href="/staff/\?status=closed&kind=support&age=7"', page)
    assert 'option value="7" selected' in page


def test_only_support_and_returned_mail_cases_are_closed_others_are_decided(pg):
    new_code, _, _ = new_code_case("777003")
    clerk = create_staff("carla.clerk", "Carla Clerk")
    with db.unit_of_work() as s, pytest.raises(desk.DeskError, match="approved or rejected, not closed"):
        desk.close(s, new_code, clerk.staff_id, "", clock.now())
    support_case = _case("support", 1)
    with db.unit_of_work() as s:
        desk.close(s, support_case, clerk.staff_id, "answered by phone", clock.now())
    with db.unit_of_work() as s:
        assert s.get(Case, new_code).status == CaseStatus.OPEN and s.get(Case, support_case).status == CaseStatus.CLOSED
