"""Tasks: text messages (R8). The outbox row forgets the text (it holds a one-time code) when the relay
publishes it (core.outbox.mark_sent)."""

from __future__ import annotations

from celery import current_task

from core import sms
from worker.app import BackofficeTask, app


@app.task(name="sms.send", base=BackofficeTask, max_retries=6)
def send(to: str, text: str) -> None:
    sms.send(to, text, key=current_task.request.id or f"sms-{to}")
