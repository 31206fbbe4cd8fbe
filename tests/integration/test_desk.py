"""The staff desk on real PostgreSQL: the case list, one case, approve and reject (R1, R3, R5, R18)."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from staff_support import (
    create_staff,
    csrf,
    english_client,
    log_in,
    make_app,
    make_member,
    make_request,
    new_code_case,
    open_new_code_case,
)

from core import clock, db
from core.codes import codes as code_service
from core.desk import cases, desk
from core.domain.states import CaseStatus, CodeStatus, RequestStatus
from core.models import AuditEvent, Case, History, Letter, Member, OutboxMessage, RegistrationCode, Request

UNKNOWN = "no member with this member number"


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def staff():
    return create_staff("anna.muster", "Anna Muster")


@pytest.fixture
def client(app, staff):
    client = english_client(app)
    log_in(client, staff)
    return client


def _text(response) -> str:
    return html.unescape(response.data.decode())


def _decide(client, case_id: int, action: str, **fields: str):
    token = csrf(client.get(f"/staff/cases/{case_id}").data)
    data = {f"{action}-csrf_token": token, **{f"{action}-{k}": v for k, v in fields.items()}}
    return client.post(f"/staff/cases/{case_id}/{action}", data=data)


def _count(model, *where) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _case_ids(page_text: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/staff/cases/(\d+)"', page_text)]


def test_case_list_shows_open_cases_oldest_first_with_counts(client):
    start = clock.now() - timedelta(days=3)
    newest, _, _ = new_code_case("300", at=start + timedelta(hours=5))
    oldest, _, _ = new_code_case("100", at=start)
    middle, _, _ = new_code_case("200", at=start + timedelta(hours=2))
    decided, _, _ = new_code_case("400", at=start - timedelta(days=1))
    with db.unit_of_work() as s:
        s.execute(update(Case).where(Case.id == decided).values(status=CaseStatus.REJECTED, decided_at=clock.now()))
    page = _text(client.get("/staff/"))
    assert _case_ids(page) == [oldest, middle, newest]
    assert re.search(r"Open <span class=\"tag tag-open\">3</span>", page)
    assert re.search(r"Rejected <span class=\"tag tag-rejected\">1</span>", page)
    assert _case_ids(_text(client.get("/staff/?status=rejected"))) == [decided]


def test_case_list_filters_by_kind_and_member_number(client):
    known, _, member_id = new_code_case("555001")
    unknown, _, _ = new_code_case("555002", known=False, why=UNKNOWN)
    with db.unit_of_work() as s:
        exhausted = cases.open_case(s, kind="code_exhausted", why="100 wrong codes", now=clock.now(),
                                    member_id=member_id).id
    assert _case_ids(_text(client.get("/staff/?kind=code_exhausted"))) == [exhausted]
    assert _case_ids(_text(client.get("/staff/?kind=new_code"))) == [known, unknown]
    assert _case_ids(_text(client.get("/staff/?member=555001"))) == [known, exhausted]
    # A number that is not in the register is still found through the request that typed it.
    assert _case_ids(_text(client.get("/staff/?member=555002"))) == [unknown]
    assert _case_ids(_text(client.get("/staff/?member=999999"))) == []
    assert _case_ids(_text(client.get("/staff/?status=bogus&kind=bogus"))) == [known, unknown, exhausted]


def test_case_list_pages_by_50_forwards_and_back(client):
    start = clock.now() - timedelta(days=10)
    with db.unit_of_work() as s:
        ids = [cases.open_case(s, kind="new_code", why=UNKNOWN, now=start + timedelta(minutes=i // 2)).id
               for i in range(120)]  # pairs share a time: the id breaks the tie
    first = _text(client.get("/staff/"))
    assert _case_ids(first) == ids[:50] and 'rel="prev"' not in first
    second_url = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    second = _text(client.get(second_url))
    assert _case_ids(second) == ids[50:100]
    third = _text(client.get(html.unescape(re.search(r'rel="next" href="([^"]+)"', second).group(1))))
    assert _case_ids(third) == ids[100:] and 'rel="next"' not in third
    back = _text(client.get(html.unescape(re.search(r'rel="prev" href="([^"]+)"', third).group(1))))
    assert _case_ids(back) == ids[50:100]


def test_case_page_shows_request_register_and_history(client):
    case_id, request_id, _ = new_code_case("100200")
    with db.unit_of_work() as s:
        s.execute(update(Member).where(Member.member_number == "100200").values(uid="CHE-109.322.551"))
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert "The UID does not match the member register" in page
    assert "CHE-100.155.212" in page and "CHE-109.322.551" in page and "does not match" in page
    assert "Marco Rossi" in page and "marco.rossi@example.ch" in page and "Our only administrator has left" in page
    assert "Rue du Lac 4<br>2000 Neuchâtel" in page  # the address on file, not the one in the request
    assert "Case opened" in page and "Approve and send the code letter" in page


def test_r1_approve_sends_one_code_letter_to_the_address_on_file_and_completes_the_request(client):
    case_id, request_id, member_id = new_code_case("100200")
    response = _decide(client, case_id, "approve", note="Called the member back on the number in the register.")
    assert response.status_code == 303
    with db.unit_of_work() as s:
        member = s.get(Member, member_id)
        letters = s.scalars(select(Letter).where(Letter.member_id == member_id)).all()
        assert len(letters) == 1
        assert letters[0].address == code_service.address_on_file(member).lines()
        assert "Via Nassa" not in " ".join(letters[0].address)
        assert letters[0].kind == "new_code" and letters[0].language == "fr"
        assert _count(RegistrationCode, RegistrationCode.member_id == member_id,
                      RegistrationCode.request_id == request_id, RegistrationCode.status == CodeStatus.ISSUED) == 1
        request = s.get(Request, request_id)
        assert (request.status, request.outcome) == (RequestStatus.COMPLETED, "code_issued")
        case = s.get(Case, case_id)
        assert case.status == CaseStatus.APPROVED and case.decided_at is not None
        assert case.decision_reason == "Called the member back on the number in the register."
        assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.task == "letters.render")) is not None
        audit = s.scalar(select(AuditEvent).where(AuditEvent.action == "case.approved"))
        assert audit.actor == "staff:anna.muster" and audit.subject == f"case:{case_id}"
        assert audit.member_id == member_id
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert "Approved" in page and "Anna Muster (anna.muster)" in page
    assert "staff:anna.muster" not in page and letters[0].reference in page  # the history names her, not her id
    assert "Approve and send the code letter" not in page


def test_approving_twice_is_refused_and_sends_nothing_more(client):
    case_id, _, member_id = new_code_case("100200")
    token = csrf(client.get(f"/staff/cases/{case_id}").data)
    assert client.post(f"/staff/cases/{case_id}/approve", data={"approve-csrf_token": token}).status_code == 303
    again = client.post(f"/staff/cases/{case_id}/approve", data={"approve-csrf_token": token})
    assert again.status_code == 409 and "decided already" in _text(again)
    rejected_after = client.post(f"/staff/cases/{case_id}/reject",
                                 data={"reject-csrf_token": token, "reject-reason": "changed my mind"})
    assert rejected_after.status_code == 409
    assert _count(Letter, Letter.member_id == member_id) == 1
    assert _count(AuditEvent, AuditEvent.action.in_(["case.approved", "case.rejected"])) == 1
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.APPROVED


def test_two_clerks_approving_at_the_same_moment_issue_one_letter(pg, staff):
    ids = [staff.staff_id, create_staff("beat.keller", "Beat Keller").staff_id]
    case_id, _, member_id = new_code_case("100200")
    barrier, outcomes = threading.Barrier(2), []

    def decide(staff_id: int) -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as s:
                desk.approve(s, case_id, staff_id, "", clock.now())
            outcomes.append("approved")
        except desk.AlreadyDecided:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["approved", "refused"]
    assert _count(Letter, Letter.member_id == member_id) == 1


def test_reject_needs_a_reason_and_mails_the_requester_neutrally(client):
    case_id, request_id, member_id = new_code_case("100200")
    empty = _decide(client, case_id, "reject", reason="   ")
    assert empty.status_code == 422 and "Enter the reason for rejecting this request" in _text(empty)
    with db.unit_of_work() as s:
        assert s.get(Case, case_id).status == CaseStatus.OPEN
    response = _decide(client, case_id, "reject", reason="The requester is not known to the member.")
    assert response.status_code == 303
    with db.unit_of_work() as s:
        case, request = s.get(Case, case_id), s.get(Request, request_id)
        assert (case.status, case.decision_reason) == (CaseStatus.REJECTED, "The requester is not known to the member.")
        assert (request.status, request.outcome) == (RequestStatus.COMPLETED, "rejected")
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.task == "mail.send",
                                                      OutboxMessage.key == f"mail:case-rejected:{case_id}")).all()
        assert len(mails) == 1
        message = mails[0].args
        assert message["to"] == "marco.rossi@example.ch"
        assert request.reference in message["subject"] and "richiesta" in message["subject"]  # the request's language
        body = message["body"]
        assert "Marco Rossi" in body and request.reference in body
        for private in ("Muster Holzbau", "Rue du Lac", "Neuchâtel", "CHE-", "not known to the member"):
            assert private not in body
        assert _count(Letter, Letter.member_id == member_id) == 0
        history = s.scalars(select(History).where(History.case_id == case_id, History.event == "case.rejected")).all()
        assert [(h.actor, h.detail) for h in history] == [("staff:anna.muster", case.decision_reason)]


def test_unknown_member_cannot_be_approved_until_the_register_has_it(client):
    case_id, request_id, _ = new_code_case("777777", known=False, why=UNKNOWN)
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert "No member with this number in the register – reject, or correct the register first." in page
    assert "Approve and send the code letter" not in page and "Reject the request" in page
    refused = _decide(client, case_id, "approve")
    assert refused.status_code == 409 and "correct the register first" in _text(refused)
    assert _count(Letter) == 0 and _count(Case, Case.status == CaseStatus.OPEN) == 1
    member_id = make_member("777777")  # the register is corrected
    assert _decide(client, case_id, "approve").status_code == 303
    assert _count(Letter, Letter.member_id == member_id) == 1
    with db.unit_of_work() as s:
        assert s.get(Request, request_id).member_id == member_id


def test_r3_approving_an_exhausted_member_resets_failures_and_sends_a_new_code(client):
    member_id = make_member("100200")
    with db.unit_of_work() as s:
        s.execute(update(Member).where(Member.id == member_id).values(code_failures=100))
        case_id = cases.open_case(s, kind="code_exhausted", why="100 wrong codes", now=clock.now(),
                                  member_id=member_id).id
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert "set back to zero" in page and "Wrong codes entered in all" in page
    assert _decide(client, case_id, "approve").status_code == 303
    with db.unit_of_work() as s:
        assert s.get(Member, member_id).code_failures == 0
    assert _count(Letter, Letter.member_id == member_id, Letter.kind == "new_code") == 1


def test_r18_history_shows_who_decided_and_when(client):
    case_id, request_id, _ = new_code_case("100200")
    with db.unit_of_work() as s:
        s.add(History(request_id=request_id, at=clock.now() - timedelta(hours=1), actor="requester",
                      event="request.received"))
    _decide(client, case_id, "reject", reason="Not the company's signatory.")
    page = _text(client.get(f"/staff/cases/{case_id}"))
    rows = re.findall(r"<tr><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td>", page)
    assert [(who, what) for _, who, what in rows] == [
        ("requester", "Request received"), ("system", "Case opened"), ("Anna Muster (anna.muster)", "Rejected")]
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", when) for when, _, _ in rows)
    assert "Anna Muster (anna.muster)" in page and "Not the company's signatory." in page


def test_r1_the_desk_never_shows_a_code(client):
    case_id, _, member_id = new_code_case("100200")
    _decide(client, case_id, "approve")
    with db.unit_of_work() as s:
        code = s.scalar(select(RegistrationCode).where(RegistrationCode.member_id == member_id))
        assert code.code_hash is None  # drawn only when the letter is rendered, never at the desk
    page = _text(client.get(f"/staff/cases/{case_id}"))
    assert not re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", page)


def test_unknown_case_is_404_and_another_request_does_not_leak_into_history(client):
    assert client.get("/staff/cases/999999").status_code == 404
    first, _, _ = new_code_case("100200")
    other_request = make_request("100201")
    open_new_code_case(other_request, None, UNKNOWN)
    page = _text(client.get(f"/staff/cases/{first}"))
    assert page.count("Case opened") == 1
