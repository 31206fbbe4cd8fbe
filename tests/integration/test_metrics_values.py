"""GET /metrics after a known sequence of requests, tasks and rows: counters by route (URL rule, not raw path)
and status, the latency histogram, task counters from Celery's signals, and gauges counted in the database."""

from __future__ import annotations

from datetime import date, timedelta

from core import clock, db, outbox
from core.domain.states import CaseStatus, CodeStatus, LetterStatus
from core.models import Case, Letter, Member, RegistrationCode
from tests.integration.ops_support import NOWHERE_PORT, environment, samples, value
from tests.integration.staff_support import make_app


def _scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def test_http_requests_are_counted_by_route_and_status(pg):
    client = make_app().test_client()
    before = _scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/requests/R-AAAA-BBBB").status_code in (200, 404)  # a route with a parameter
    assert client.get("/requests/R-CCCC-DDDD").status_code in (200, 404)
    assert client.get("/no/such/page").status_code == 404
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("backoffice_http_requests_total", method="GET", route="/healthz", status="200") == 3
    by_rule = [key for key in after if key[0] == "backoffice_http_requests_total"
               and dict(key[1])["route"] == "/requests/<reference>"]
    assert sum(after[key] - before.get(key, 0) for key in by_rule) == 2  # one series for both references
    assert not any("R-AAAA-BBBB" in dict(key[1]).get("route", "") for key in after)
    assert delta("backoffice_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert delta("backoffice_http_request_duration_seconds_count", method="GET", route="/healthz") == 3
    assert delta("backoffice_http_request_duration_seconds_bucket", method="GET", route="/healthz", le="+Inf") == 3


def test_tasks_run_failed_and_retried_are_counted_by_name(pg, monkeypatch):
    from worker.tasks import mail
    from worker.tasks import operations as operations_tasks

    client = make_app().test_client()
    before = _scrape(client)
    operations_tasks.heartbeat.apply()
    with environment(monkeypatch, SMTP_URL=f"smtp://127.0.0.1:{NOWHERE_PORT}"):
        result = mail.send.apply(kwargs={"to": "anna@example.ch", "subject": "Hello", "body": "Hi"},
                                 task_id="mail:metrics-test")
    assert result.state == "FAILURE"
    after = _scrape(client)

    def delta(name: str, task: str) -> float:
        return value(after, name, task=task) - value(before, name, task=task)

    assert delta("backoffice_tasks_run_total", "operations.heartbeat") == 1
    assert delta("backoffice_tasks_failed_total", "operations.heartbeat") == 0
    assert delta("backoffice_tasks_retried_total", "mail.send") == 10  # mail.send: max_retries=10
    assert delta("backoffice_tasks_run_total", "mail.send") == 11
    assert delta("backoffice_tasks_failed_total", "mail.send") == 1
    assert value(after, "backoffice_parked_tasks") == 1


def _member() -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number="700100", uid="CHE-100.155.212", name="Metrik AG", care_of="", street="Weg 1",
                        po_box="", postcode="3000", town="Bern", language="de", email="", code_failures=0,
                        created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        return member.id


def _code(s, member_id: int, status: str, expires_on: date) -> int:
    code = RegistrationCode(member_id=member_id, purpose="new_code", code_hash=None, status=status,
                            issued_at=clock.now(), expires_on=expires_on)
    s.add(code)
    s.flush()
    return code.id


def test_database_gauges_count_codes_letters_cases_and_the_outbox(pg):
    member_id = _member()
    today = clock.today_in_zurich(clock.now())
    now = clock.now()
    with db.unit_of_work() as s:
        for status, expires in ((CodeStatus.ISSUED, today + timedelta(days=20)),
                                (CodeStatus.ISSUED, today + timedelta(days=1)),
                                (CodeStatus.ISSUED, today - timedelta(days=1)), (CodeStatus.USED, today),
                                (CodeStatus.VOIDED, today), (CodeStatus.VOIDED, today)):
            _code(s, member_id, status, expires)
        for number, status in enumerate((LetterStatus.RENDERED, LetterStatus.PRINTED, LetterStatus.PRINTED,
                                         LetterStatus.PRINTED, LetterStatus.RETURNED)):
            s.add(Letter(reference=f"L-TEST-{number:04d}", member_id=member_id, kind="new_code", language="de",
                         address=["Metrik AG", "Weg 1", "3000 Bern"], postcode="3000", letter_date=today,
                         status=status, pdf_path="", created_at=now))
        for kind, status in (("new_code", CaseStatus.OPEN), ("new_code", CaseStatus.OPEN),
                             ("code_exhausted", CaseStatus.OPEN), ("new_code", CaseStatus.APPROVED)):
            s.add(Case(kind=kind, status=status, why="test", member_id=member_id, created_at=now))
        outbox.add(s, "requests.decide", {"request_id": 1}, key="decide:metrics-1", now=now - timedelta(seconds=90))
        outbox.add(s, "requests.decide", {"request_id": 2}, key="decide:metrics-2", now=now)
    page = _scrape(make_app().test_client())
    codes = {state: value(page, "backoffice_registration_codes", state=state)
             for state in ("issued", "expired", "used", "voided")}
    assert codes == {"issued": 2, "expired": 1, "used": 1, "voided": 2}
    assert value(page, "backoffice_letters", state="rendered") == 1
    assert value(page, "backoffice_letters", state="printed") == 3
    assert value(page, "backoffice_letters", state="returned") == 1
    assert value(page, "backoffice_cases_open", kind="new_code") == 2
    assert value(page, "backoffice_cases_open", kind="code_exhausted") == 1
    assert value(page, "backoffice_outbox_waiting") == 2
    assert 90 <= value(page, "backoffice_outbox_oldest_waiting_seconds") < 150
    assert value(page, "backoffice_database_up") == 1


def test_metrics_still_answer_when_the_database_does_not(pg, monkeypatch):
    with environment(monkeypatch, DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{NOWHERE_PORT}/none"):
        page = _scrape(make_app().test_client())
    assert value(page, "backoffice_database_up") == 0
