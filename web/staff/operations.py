"""The operations page, for supervisors: is the back office healthy, what waits, what failed for good.
Retry and discard of a parked task are decisions, audited in core.operations.operations (R18)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock, config, db, health, queues, schedule
from core.operations import operations
from core.translatable import N_
from web.auth import staff_required
from web.forms import Form
from web.i18n import translate
from web.staff.blueprint import bp

Page = str | tuple[str, int] | Response
CANNOT_RETRY = {
    "expired_code": N_("A text message is not sent again: its one-time code has expired by now. The person asks for "
                       "a new code."),
    "arguments_gone": N_("This task cannot be retried: its data is no longer kept. Discard it and redo the work "
                         "another way."),
}


class ParkedActionForm(Form):
    """Retry or discard: a button and its CSRF token."""


def supervisor_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @staff_required
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != "supervisor":
            return render_template("web/staff/supervisors_only.html"), 403
        return view(*args, **kwargs)

    return wrapper


def _schedule() -> dict[str, tuple[str, str]]:
    """The beat schedule as entry -> (task, when), in words a supervisor reads."""
    described = {}
    for entry, job in schedule.JOBS.items():
        if isinstance(job.when, schedule.Every):
            seconds = f"{job.when.seconds:g}"
            text = translate("every {seconds} s", seconds=seconds)
        else:
            spec = f"{job.when.minute} {job.when.hour} * * *"
            text = translate("cron {spec}", spec=spec)
        described[entry] = (job.task, text)
    return described


def _health(broker: health.Check) -> list[health.Check]:
    engine, now = db.engine(), clock.now()
    return [health.database(engine), health.migrations(engine), broker,
            health.heartbeat(engine, "beat", now), health.heartbeat(engine, "worker", now)]


# How a task run ended, as Celery names the state; an exception's name that may follow stays as it is (code).
OUTCOMES = {"SUCCESS": N_("Succeeded"), "FAILURE": N_("Failed"), "RETRY": N_("Failed, will be tried again")}


def outcome_label(outcome: str) -> str:
    state, _, error = outcome.partition(" ")
    label = translate(OUTCOMES[state]) if state in OUTCOMES else state
    return f"{label} ({error})" if error else label


def _page(problem: str = "", status: int = 200) -> Page:
    with db.unit_of_work() as session:
        backlog = operations.backlog(session)
        mailing = operations.last_mailing(session)
        parked = operations.parked(session)
        schedule = _schedule()
        jobs = operations.periodic_jobs(session, schedule)
        processes = operations.live_processes(session, clock.now(), health.HEARTBEAT_STALE_AFTER)
        runs = operations.recent_task_runs(session, {task for task, _when in schedule.values()})
        retryable = {row.id: operations.retryable(row) for row in parked}
    broker, queue_sizes = health.broker_and_queues(config.get().broker_url, queues.names())
    return render_template(
        "web/staff/operations.html", checks=_health(broker), backlog=backlog, mailing=mailing, parked=parked,
        retryable=retryable, jobs=jobs, processes=processes, runs=runs,
        queues=queue_sizes,
        stale_minutes=int(health.HEARTBEAT_STALE_AFTER.total_seconds() // 60),
        action_form=ParkedActionForm(), problem=problem, outcome_label=outcome_label), status


@bp.get("/operations")
@supervisor_required
def operations_page() -> Page:
    return _page()


def _act(parked_id: int, act: Callable[..., Any], done: str) -> Page:
    if not ParkedActionForm().validate_on_submit():
        return _page(translate("The page had expired. Please try again."), 400)
    try:
        with db.unit_of_work() as session:
            act(session, parked_id, current_user.staff_id, clock.now())
    except operations.NotFound:
        abort(404)
    except operations.NotAllowed:
        abort(403)
    except operations.AlreadyResolved:
        return _page(translate("This task was retried or discarded already. Nothing was changed."), 409)
    except operations.CannotRetry as refusal:
        return _page(translate(CANNOT_RETRY[refusal.reason]), 409)
    flash(translate(done), "success")
    return redirect(url_for(".operations_page"), 303)


@bp.post("/operations/parked/<int:parked_id>/retry")
@supervisor_required
def retry_parked(parked_id: int) -> Page:
    page = _act(parked_id, operations.retry, N_("The task was queued again. It runs within a few seconds."))
    return page


@bp.post("/operations/parked/<int:parked_id>/discard")
@supervisor_required
def discard_parked(parked_id: int) -> Page:
    return _act(parked_id, operations.discard, N_("The task was discarded. It will not run again."))
