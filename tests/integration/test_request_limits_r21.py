"""R21 on real PostgreSQL: what anyone can send without a login has bounded effects. A member gets at most one
automatic code letter a week (further requests go to staff as one case and do not void the code in the post), its
administrators at most one e-mail a day about others' requests, and a typed address at most one acknowledgement a
day; also when the requests are decided at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from requests_support import add_login, add_member, outbox, submit
from sqlalchemy import func, select

from core import clock, db
from core.desk import requests
from core.domain.requests import LETTER_IN_POST
from core.domain.states import CaseStatus, CodeStatus
from core.models import Case, History, Letter, RegistrationCode


def _decide(request_id: int, later: timedelta = timedelta(0)) -> object:
    with db.unit_of_work() as s:
        return requests.decide(s, request_id, clock.now() + later)


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_r21_one_code_letter_a_week_further_requests_join_one_staff_case_and_void_nothing(pg):
    with db.unit_of_work() as s:
        add_member(s)
    first = submit(requester_email="anna@example.ch")[0]
    _decide(first)
    with db.unit_of_work() as s:
        posted = s.scalar(select(RegistrationCode.id).where(RegistrationCode.status == CodeStatus.ISSUED))
    for email in ("eve@example.org", "mallory@example.org", "trent@example.org"):
        _decide(submit(requester_email=email)[0])
    assert _count(Letter) == 1
    with db.unit_of_work() as s:
        assert s.get_one(RegistrationCode, posted).status == CodeStatus.ISSUED  # the code in the post still works (R2)
        cases = list(s.scalars(select(Case)))
        assert [(c.kind, c.status, c.why) for c in cases] == [("new_code", CaseStatus.OPEN, LETTER_IN_POST)]
    assert _count(History, History.case_id == cases[0].id, History.event == "case.request_joined") == 2
    # A week later a request may bring a letter again.
    _decide(submit(requester_email="anna@example.ch")[0], later=timedelta(days=8))
    assert _count(Letter) == 2


def test_r21_requests_decided_at_the_same_moment_still_bring_one_letter(pg):
    with db.unit_of_work() as s:
        add_member(s)
    ids = [submit(requester_email=f"person{i}@example.org")[0] for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(_decide, ids))
    assert _count(Letter) == 1
    assert _count(Case) == 1


def test_r21_administrators_hear_of_others_requests_once_a_day(pg):
    with db.unit_of_work() as s:
        member = add_member(s)
        add_login(s, member, "admin@muster.example")
    for i in range(5):
        _decide(submit(requester_email=f"stranger{i}@example.org", reason=f"Text number {i}")[0])
    told = [row for row in outbox("mail.send") if row.key.startswith("mail:request-admins:")]
    assert len(told) == 1
    _decide(submit(requester_email="stranger9@example.org")[0], later=timedelta(days=1))
    assert len([row for row in outbox("mail.send") if row.key.startswith("mail:request-admins:")]) == 2


def test_r21_a_typed_address_is_acknowledged_once_a_day(pg):
    for number in ("900001", "900002", "900003"):  # numbers the register does not know: anyone can type them
        _decide(submit(member_number=number, requester_email="Victim@Example.org")[0])
    acks = [row for row in outbox("mail.send") if row.key.startswith("mail:request-received:")]
    assert len(acks) == 1 and acks[0].args["to"].lower() == "victim@example.org"
    _decide(submit(member_number="900004", requester_email="victim@example.org")[0], later=timedelta(days=1))
    assert len([row for row in outbox("mail.send") if row.key.startswith("mail:request-received:")]) == 2
