"""Work the broker may have lost: the database is the truth, so a periodic sweep queues again what should have
finished by now. Every task is idempotent, so a request or letter queued twice is still done once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.codes.codes import RENDER_CHUNK
from core.domain.states import LetterStatus, RequestStatus
from core.models import Letter, Request

REQUEST_GRACE = timedelta(minutes=2)
LETTER_GRACE = timedelta(minutes=10)
BUCKET = timedelta(minutes=10)  # at most one re-queue per item in this time


@dataclass(frozen=True)
class Requeued:
    requests: int
    letters: int


def requeue(session: Session, now: datetime) -> Requeued:
    bucket = int(now.timestamp() // BUCKET.total_seconds())
    request_ids = session.scalars(
        select(Request.id).where(Request.status == RequestStatus.RECEIVED, Request.received_at < now - REQUEST_GRACE)
    ).all()
    for request_id in request_ids:
        outbox.add(session, "requests.decide", {"request_id": request_id}, key=f"decide:{request_id}:again:{bucket}",
                   now=now)
    letter_ids = session.scalars(
        select(Letter.id).where(Letter.status == LetterStatus.PENDING,
                                Letter.created_at < now - LETTER_GRACE).order_by(Letter.id)
    ).all()
    for start in range(0, len(letter_ids), RENDER_CHUNK):
        chunk = list(letter_ids[start : start + RENDER_CHUNK])
        outbox.add(session, "letters.render", {"letter_ids": chunk},
                   key=f"render:{chunk[0]}-{chunk[-1]}:again:{bucket}", now=now)
    return Requeued(len(request_ids), len(letter_ids))
