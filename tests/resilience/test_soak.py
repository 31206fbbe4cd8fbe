"""Fault 7, the soak: mixed new-code requests sent over HTTP at a steady rate (a code to post, administrators to
tell, unknown members for the desk) while the worker is killed with SIGKILL and started again at a fixed interval.
Afterwards: every accepted request completed (lost must be 0), no member got two letters (duplicated must be 0),
and the slowest completion is reported.

`make test` runs a short soak; `make soak` runs the full one: SOAK_REQUESTS=10000 SOAK_KILL_EVERY=30 (SOAK_RATE
requests per second). Work the killed worker held is queued again from the database by the stale-work sweep,
which beat runs when it is overdue (2 minutes for a decision, 10 for a letter); once sending stops, the test
runs that sweep as beat would at that later time, rather than waiting for it."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import requests as http
from resilience_support import add_members
from sqlalchemy import func, select

from bench.services import free_port, wait_for_port
from core import clock, db
from core.domain.states import LetterStatus, RequestStatus
from core.models import Letter, Request
from core.operations import stale_work
from tests.integration.admin_support import ALL, make_login
from tests.polling import poll

REQUESTS = int(os.environ.get("SOAK_REQUESTS", "200"))
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", "5"))
RATE = float(os.environ.get("SOAK_RATE", "20"))
BODY = {"kind": "new_code", "uid": "CHE-100.155.212", "reason": "Our only administrator has left the company.",
        "requester": {"name": "Anna Muster", "role": "Head of HR", "email": "anna@example.ch"}}


@dataclass
class Sent:
    accepted: dict[str, str] = field(default_factory=dict)  # reference -> kind
    refused: list[int] = field(default_factory=list)


def _mix(count: int) -> list[tuple[str, str]]:
    """(kind, member number): 6 in 10 get a code (one request per member), 3 tell administrators, 1 goes to staff."""
    code_members = add_members(count, prefix="3")
    with_admins = add_members(50, prefix="4")
    from core.models import Member

    with db.unit_of_work() as s:
        found = s.execute(select(Member.member_number, Member.id).where(Member.member_number.in_(with_admins)))
        ids = dict(found.all())
    for number in with_admins:
        make_login(ids[number], "Anna Admin", f"admin@{number}.example", ALL)
    plan = []
    for i in range(count):
        if i % 10 < 6:
            plan.append(("code", code_members[i]))
        elif i % 10 < 9:
            plan.append(("administrators", with_admins[i % len(with_admins)]))
        else:
            plan.append(("staff", f"9{i:07d}"))
    return plan


def _send(base: str, plan: list[tuple[str, str]], sent: Sent) -> None:
    session = http.Session()
    started = time.monotonic()
    for i, (kind, number) in enumerate(plan):
        time.sleep(max(0.0, started + i / RATE - time.monotonic()))  # a steady rate, not a burst
        reply = session.post(f"{base}/api/v1/requests", timeout=60,
                             json={**BODY, "member_number": number, "company_name": f"Muster {number} AG"})
        if reply.status_code == 202:
            sent.accepted[reply.json()["reference"]] = kind
        else:
            sent.refused.append(reply.status_code)


def _state(references: list[str]) -> tuple[int, int, float]:
    """(completed, duplicated letters, slowest completion in seconds) of the accepted requests."""
    with db.unit_of_work() as s:
        rows = s.execute(select(Request.reference, Request.status, Request.outcome, Request.member_id,
                                Request.received_at, Request.decided_at)
                         .where(Request.reference.in_(references))).all()
        letters = dict(s.execute(select(Letter.member_id, func.count()).group_by(Letter.member_id)).all())
        rendered = dict(s.execute(select(Letter.member_id, func.max(Letter.rendered_at))
                                  .where(Letter.status == LetterStatus.RENDERED).group_by(Letter.member_id)).all())
    completed, slowest = 0, 0.0
    for _, status, outcome, member_id, received_at, decided_at in rows:
        done_at = rendered.get(member_id) if outcome == "code_issued" else decided_at
        if status != RequestStatus.RECEIVED and done_at is not None:
            completed += 1
            slowest = max(slowest, (done_at - received_at).total_seconds())
    return completed, sum(n - 1 for n in letters.values() if n > 1), slowest


def test_fault7_soak_mixed_requests_with_the_worker_killed_at_intervals(stack, report):
    row = report.row(f"7 soak: {REQUESTS} requests, kill -9 every {KILL_EVERY:g} s")
    plan = _mix(REQUESTS)
    port = free_port()
    stack.start("web", [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind",
                        f"127.0.0.1:{port}", "web.wsgi:app"], RATELIMIT_INTAKE="1000000 per second")
    wait_for_port(port)
    stack.beat("soak-beat")
    worker = stack.worker("soak-worker-0", concurrency=2)
    sent = Sent()
    sender = threading.Thread(target=_send, args=(f"http://127.0.0.1:{port}", plan, sent), daemon=True)
    started = time.monotonic()
    sender.start()
    kills = 0
    while sender.is_alive():
        sender.join(KILL_EVERY)
        if sender.is_alive():
            stack.kill9(worker)
            kills += 1
            worker = stack.worker(f"soak-worker-{kills}", concurrency=2)
    sending_took = time.monotonic() - started

    # What beat's stale-work sweep does once the lost work is overdue (see the module's docstring).
    with db.unit_of_work() as s:
        stale_work.requeue(s, clock.now() + stale_work.LETTER_GRACE + timedelta(minutes=1))
    assert stack.relay() == 0
    references = list(sent.accepted)
    try:
        poll(lambda: _state(references)[0] == len(references), max(300, REQUESTS / 10), "every accepted request",
             interval_s=2)
    finally:
        completed, duplicated, slowest = _state(references)
        row.runs, row.lost, row.duplicated = len(plan), len(references) - completed, duplicated
        print(f"\nsoak: {len(plan)} sent in {sending_took:.0f} s, {len(references)} accepted, {completed} completed, "
              f"{row.lost} lost, {duplicated} duplicated letters, {kills} kills, slowest completion {slowest:.1f} s, "
              f"whole run {time.monotonic() - started:.0f} s")
    assert sent.refused == [], "intake refused requests"
    assert row.lost == 0 and row.duplicated == 0
