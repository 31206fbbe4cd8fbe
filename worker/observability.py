"""The worker and beat side of operations, wired to Celery's signals: JSON logs, the request id carried in a
message header, task metrics, heartbeats of beat, workers and periodic jobs, and parking tasks that failed for
good. Imported by worker.app, so every worker and beat process has it before its first task."""

from __future__ import annotations

import logging
import time
from typing import Any

import structlog
from celery import signals

from core import clock, db, metrics, observability
from core.operations import operations

log = structlog.get_logger("worker")
HEADER = "request_id"
HEARTBEAT_TASK = "operations.heartbeat"
JOB_HEARTBEAT_EVERY_S = 10.0  # the relay runs many times a second under load: one heartbeat row write is enough
_started: dict[str, float] = {}
_job_noted: dict[str, float] = {}


def request_id_of(request: Any) -> str | None:
    """The id from the message header (a worker puts headers on the request; apply() keeps them apart)."""
    found = getattr(request, HEADER, None)
    if not found:
        found = (getattr(request, "headers", None) or {}).get(HEADER)
    return str(found) if found else None


@signals.setup_logging.connect
def _logging(**_: Any) -> None:
    # Connected, so Celery leaves the logging set-up to us: one JSON line per event, its own lines included.
    observability.configure_logging()
    # "received" and "succeeded" for every run (the relay's every 2 s) say less than our task.finished line, which
    # carries the request id; Celery's warnings and errors still come through.
    for noisy in ("celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@signals.before_task_publish.connect
def _carry_request_id(sender: str | None = None, headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task sent while a request or task is running carries its id (the relay sets it from the outbox row)."""
    current = observability.current_request_id()
    if headers is not None and current and not headers.get(HEADER):
        headers[HEADER] = current
    if sender == HEARTBEAT_TASK:  # only beat sends it: its sending is beat's own heartbeat
        _heartbeat("beat", "beat", "sent operations.heartbeat")


@signals.beat_init.connect
def _beat_started(**_: Any) -> None:
    _heartbeat("beat", "beat", "started")


@signals.worker_ready.connect
def _worker_ready(sender: Any = None, **_: Any) -> None:
    # The node name (celery@host), as the heartbeat task sees it: the machine's bare host name made a second row
    # that nobody refreshed, a phantom worker beside the live one.
    _heartbeat("worker", worker_name(sender.hostname), "ready")


@signals.worker_shutdown.connect
def _worker_stopped(sender: Any = None, **_: Any) -> None:
    """A worker that stops on purpose leaves the list at once; one that dies drops out once its heartbeat is old."""
    try:
        with db.unit_of_work() as session:
            operations.forget_heartbeat(session, worker_name(sender.hostname))
    except Exception as exc:  # stopping goes on whatever the database says
        log.warning("heartbeat.not_removed", error=type(exc).__name__)


def worker_name(hostname: str) -> str:
    """The heartbeat row of a worker node: `worker:celery@host`, one per node, however many pool processes."""
    return f"worker:{hostname}"


def _heartbeat(kind: str, name: str, detail: str) -> None:
    try:
        with db.unit_of_work() as session:
            operations.beat_seen(session, kind, name, clock.now(), detail)
    except Exception as exc:  # a heartbeat that cannot be written is itself the signal; never stop beat for it
        log.warning("heartbeat.not_written", name=name, error=type(exc).__name__)


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    observability.bind_request_id(request_id_of(task.request), task=task.name, task_id=task_id)
    metrics.TASKS_RUN.labels(task.name).inc()
    _started[task_id or ""] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, retval: Any = None,
                   **_: Any) -> None:
    started = _started.pop(task_id or "", None)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    metrics.TASK_DURATION.labels(task.name).observe(elapsed)
    periodic = task.name in periodic_tasks(task.app)
    _note_job(task.name, outcome(state or "", retval))
    if not periodic or state != "SUCCESS":  # the relay runs every 2 s: only its failures are worth a line
        emit = log.info if state == "SUCCESS" else log.warning
        emit("task.finished", state=state, duration_ms=round(elapsed * 1000, 1))
    observability.clear()


def periodic_tasks(app: Any) -> set[str]:
    return {entry["task"] for entry in (app.conf.beat_schedule or {}).values()}


def outcome(state: str, retval: Any) -> str:
    """What the operations page shows of a run: the state, and for a failure or retry the error's type (never its
    message, which may quote arguments)."""
    error = getattr(retval, "exc", None) or retval  # a retry carries the error that caused it
    return f"{state} {type(error).__name__}" if state != "SUCCESS" and isinstance(error, BaseException) else state


def _note_job(task: str, state: str) -> None:
    """The last run of every task, for the operations page; a success is written at most every few seconds."""
    now = time.monotonic()
    if state == "SUCCESS" and now - _job_noted.get(task, -JOB_HEARTBEAT_EVERY_S) < JOB_HEARTBEAT_EVERY_S:
        return
    _job_noted[task] = now
    _heartbeat("job", f"job:{task}", state)


@signals.task_retry.connect
def _task_retried(sender: Any = None, reason: Any = None, **_: Any) -> None:
    metrics.TASKS_RETRIED.labels(sender.name).inc()
    log.warning("task.retry", error=type(getattr(reason, "exc", None) or reason).__name__)


@signals.task_failure.connect
def _task_failed(sender: Any = None, exception: BaseException | None = None, **_: Any) -> None:
    metrics.TASKS_FAILED.labels(sender.name).inc()


def park(task_name: str, exc: BaseException, task_id: str, args: Any, kwargs: Any) -> None:
    """The task failed after its last retry: keep it for staff (its own transaction), masked."""
    failure = operations.Failure(
        task_id=task_id, task=task_name, args=list(args or ()), kwargs=dict(kwargs or {}),
        error_type=type(exc).__name__, error_message=str(exc), request_id=observability.current_request_id())
    parked_id = operations.park_in_own_transaction(failure)
    log.error("task.parked", parked_id=parked_id, error=type(exc).__name__, ids=operations.ids_of(failure.kwargs))
