"""The periodic jobs beat runs, as plain data: the worker turns them into Celery's schedule, the operations page
shows them to supervisors in words. One list, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Every:
    seconds: float


@dataclass(frozen=True)
class Daily:
    """Once a day at this time, Zurich time (beat's timezone)."""

    hour: int
    minute: int


@dataclass(frozen=True)
class Job:
    task: str
    when: Every | Daily
    expires_s: int | None = None  # a run nobody took within this long is dropped, not run late


JOBS: dict[str, Job] = {
    "outbox-relay": Job("outbox.relay", Every(2.0)),
    "login-deactivations": Job("logins.sweep_deactivations", Every(60.0)),  # R11
    "lost-invitations": Job("logins.mail_lost_invitations", Every(60.0)),
    "stale-work": Job("outbox.requeue_stale", Every(60.0)),
    # beat's and the workers' liveness for /readyz; a heartbeat nobody took within a minute is worthless
    "heartbeat": Job("operations.heartbeat", Every(60.0), expires_s=55),
    "retention": Job("operations.retention", Daily(hour=3, minute=30)),  # FADP, daily
    "poa-reminders": Job("trustees.remind_expiring", Every(3600.0)),  # R14: 30 days before the end
    "staff-notifications": Job("desk.notify_staff", Every(60.0)),  # batched, one mail per 15 min
}
