"""Tasks: text messages (R8). The outbox row's copy of the text (it holds a one-time code) is blanked once sent."""

from __future__ import annotations

from celery import current_task
from sqlalchemy import update

from core import db, sms
from core.models import OutboxMessage
from worker.app import BackofficeTask, app

SENT_ARGS = {"sent": True}


@app.task(name="sms.send", base=BackofficeTask, max_retries=6)
def send(to: str, text: str) -> None:
    key = current_task.request.id or f"sms-{to}"
    sms.send(to, text, key=key)
    forget_text(key)


def forget_text(key: str) -> None:
    """The code has done its job in the queue: keep the row (its key stays unique) but drop the text."""
    with db.unit_of_work() as session:
        # Only a row the relay has committed as sent: an unsent one must keep its text to be published again.
        session.execute(update(OutboxMessage).where(OutboxMessage.key == key, OutboxMessage.sent_at.is_not(None))
                        .values(args=SENT_ARGS))
