"""Redis may lose what it holds: a sweep queues again, from the database, what should have finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core import clock, db
from core.codes import codes
from core.models import Member, OutboxMessage, Request
from core.operations import stale_work


def _member(s, number="400001"):
    now = clock.now()
    member = Member(member_number=number, uid="CHE-100.155.212", name="Muster AG", street="Weg 1", postcode="3000",
                    town="Bern", language="de", created_at=now, updated_at=now)
    s.add(member)
    s.flush()
    return member


def _request(s, at):
    request = Request(reference=f"R-TEST-{at:%H%M%S%f}", kind="new_code", member_number="400001",
                      uid="CHE-100.155.212", company_name="Muster AG", requester_name="Anna", requester_role="HR",
                      requester_email="anna@example.ch", reason="left", received_at=at)
    s.add(request)
    s.flush()
    return request


def test_stale_requests_and_letters_are_queued_again_once_per_period(pg):
    now = datetime(2026, 11, 26, 12, 3, tzinfo=UTC)  # inside one re-queue period, also 30 s later
    with db.unit_of_work() as s:
        old = _request(s, now - timedelta(minutes=5))
        _request(s, now - timedelta(seconds=30))  # fresh: its own task is still on the way
        letter_id = codes.issue_letter(s, _member(s), "invitation", now - timedelta(minutes=20))
    with db.unit_of_work() as s:
        s.query(OutboxMessage).delete()  # the broker lost everything
        assert stale_work.requeue(s, now) == stale_work.Requeued(requests=1, letters=1)
    with db.unit_of_work() as s:
        again = stale_work.requeue(s, now + timedelta(seconds=30))  # the same period: nothing new in the outbox
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert again.requests == 1
    assert [(r.task, r.args) for r in rows] == [
        ("requests.decide", {"request_id": old.id}),
        ("letters.render", {"letter_ids": [letter_id]}),
    ]
