"""Tasks: e-mail."""

from __future__ import annotations

from celery import current_task

from core import mail
from worker.app import BackofficeTask, app


@app.task(name="mail.send", base=BackofficeTask, autoretry_for=(OSError, ConnectionError), max_retries=10)
def send(to: str, subject: str, body: str) -> None:
    mail.deliver(mail.build(to, subject, body), key=current_task.request.id or f"{to}-{subject}")
