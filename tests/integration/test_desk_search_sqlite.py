"""The desk's one search field on the embedded default (SQLite), as `make run` uses it: every reading of the text
(reference, member number, UID, name) is one flat UNION that SQLite accepts, and finds the case."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core import clock, migrate
from core.db import make_engine
from core.desk import desk
from core.domain.states import CaseStatus, RequestStatus
from core.models import Case, Member, Request


@pytest.fixture
def lite(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    now = clock.now()
    with Session(engine) as s, s.begin():
        member = Member(member_number="600200", uid="CHE-100.155.212", name="Boulangerie Dupont SA", care_of="",
                        street="Rue 1", po_box="", postcode="2000", town="Neuchâtel", language="fr", email="",
                        code_failures=0, created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        request = Request(reference="R-LITE-0002", kind="new_code", status=RequestStatus.IN_REVIEW, outcome="",
                          member_number="600200", uid="CHE-100.155.212", company_name="Dupont",
                          requester_name="Marie Dupont", requester_role="RH", requester_email="m@example.ch",
                          reason="r", language="fr", member_id=member.id, received_at=now)
        s.add(request)
        s.flush()
        case = Case(kind="new_code", status=CaseStatus.OPEN, why="w", request_id=request.id, member_id=member.id,
                    created_at=now)
        s.add(case)
        s.flush()
        case_id = case.id
    yield engine, case_id
    engine.dispose()


@pytest.mark.parametrize("text", ["r-lite-0002", "600200", "CHE-100.155.212", "dupont", "Marie"])
def test_the_desk_search_finds_the_case_on_sqlite(lite, text):
    engine, case_id = lite
    with Session(engine) as s:
        page = desk.list_cases(s, desk.Filters.parse(CaseStatus.OPEN, "", "", None, text), now=clock.now())
    assert [row.id for row in page.rows] == [case_id]
    assert page.counts[CaseStatus.OPEN] == 1


def test_a_search_broader_than_the_listed_ids_is_asked_of_each_case_on_sqlite(lite, monkeypatch):
    """The path of a common name (more cases than SEARCH_IDS_CAP), with a cap of none so one case is already more."""
    engine, case_id = lite
    monkeypatch.setattr("core.desk.desk_queue.SEARCH_IDS_CAP", 0)
    with Session(engine) as s:
        page = desk.list_cases(s, desk.Filters.parse(CaseStatus.OPEN, "", "", None, "dupont"), now=clock.now())
    assert [row.id for row in page.rows] == [case_id]
    assert page.counts[CaseStatus.OPEN] == 1
