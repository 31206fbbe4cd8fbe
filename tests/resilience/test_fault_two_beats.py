"""Fault 5: two beat processes started by mistake. Every periodic job is then sent twice each period; each sweep
claims its work atomically (SKIP LOCKED, UPDATE … RETURNING, keys per time bucket), so each effect happens once:
every outbox row published once, every due login deactivated once (one audit event, one mail to its member's
administrators), every stale request queued again once, staff told once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from resilience_support import BACKENDS, add_members, count, request_form
from sqlalchemy import select, update

from core import clock, db, outbox
from core.desk import cases, requests
from core.domain.requests import parse_new_code
from core.domain.states import LoginStatus, RequestStatus
from core.models import AuditEvent, Login, OutboxMessage, Request
from tests.integration.admin_support import ALL, make_login, make_member
from tests.integration.staff_support import create_staff
from tests.polling import poll

MAILS, MEMBERS, LEAVING = 60, 8, 3  # LEAVING logins per member whose last day has passed


def _prepare() -> tuple[list[int], list[int]]:
    now = clock.now()
    with db.unit_of_work() as s:
        for i in range(MAILS):
            outbox.add(s, "mail.send", {"to": f"p{i}@example.ch", "subject": "s", "body": "b"}, key=f"mail:t{i}",
                       now=now)
    leaving = []
    for m in range(MEMBERS):
        member_id = make_member(f"55{m:04d}", f"Beispiel {m} AG")
        make_login(member_id, "Stays Admin", f"stay{m}@example.ch", ALL)
        leaving += [make_login(member_id, f"Leaves {k}", f"leave{m}.{k}@example.ch", ["correspondence"],
                               last_day=clock.today_in_zurich(now) - timedelta(days=2))[0] for k in range(LEAVING)]
    stale = []
    for number in add_members(5, prefix="6"):  # requests whose decision the broker lost three minutes ago
        with db.unit_of_work() as s:
            requests.submit_new_code(s, parse_new_code(request_form(number)), now - timedelta(minutes=3))
            s.execute(update(OutboxMessage).where(OutboxMessage.task == "requests.decide").values(sent_at=now))
    with db.unit_of_work() as s:
        stale = list(s.scalars(select(Request.id)))
    create_staff("desk.one", "Desk One")
    with db.unit_of_work() as s:
        cases.open_case(s, kind="new_code", why="test", now=now)
    return leaving, stale


def _finished(log_text: str, task: str) -> Counter[str]:
    runs: Counter[str] = Counter()
    for line in log_text.splitlines():
        if line.startswith("{") and '"task.finished"' in line:
            event = json.loads(line)
            if event.get("task") == task and event.get("state") == "SUCCESS":
                runs[event["task_id"]] += 1
    return runs


@BACKENDS
def test_fault5_two_beats_every_sweep_effect_happens_once(stack, report):
    row = report.row(f"5 two beat processes ({stack.label})")
    leaving, stale = _prepare()
    stack.worker("two-beats", concurrency=2)
    stack.beat("beat-1")
    stack.beat("beat-2")

    def swept() -> bool:  # the minute jobs have run once from each beat
        state["now"] = (count(Login, Login.id.in_(leaving), Login.status == LoginStatus.DEACTIVATED),
                        count(Request, Request.status != RequestStatus.RECEIVED),
                        count(OutboxMessage, OutboxMessage.key.like("mail:staff-notice:%")))
        return state["now"][:2] == (len(leaving), len(stale)) and state["now"][2] > 0

    state: dict[str, tuple[int, ...]] = {}
    try:
        poll(swept, 150, "the minute sweeps of both beats", interval_s=1)
    except AssertionError as late:
        raise AssertionError(f"{late}: (deactivated, decided, staff told) = {state['now']}") from None
    poll(lambda: count(OutboxMessage, OutboxMessage.sent_at.is_(None)) == 0, 60, "the relays to publish all")
    beats_sent = sum(stack.log(f"beat-{n}").read_text().count("Scheduler: Sending due task") for n in (1, 2))
    poll(lambda: len(_finished(stack.log("two-beats").read_text(), "mail.send")) >= MAILS, 60, "the mails")

    with db.unit_of_work() as s:
        deactivated = Counter(s.scalars(select(AuditEvent.subject).where(AuditEvent.action == "login.deactivated")))
        decided = Counter(s.scalars(select(AuditEvent.subject).where(AuditEvent.action == "request.decided")))
        again = Counter(k.split(":")[1] for k in s.scalars(select(OutboxMessage.key)
                                                           .where(OutboxMessage.key.like("decide:%:again:%"))))
        told_staff = count(OutboxMessage, OutboxMessage.key.like("mail:staff-notice:%"))
        admin_mails = count(OutboxMessage, OutboxMessage.key.like("mail:login-ended:%"))
    mails = _finished(stack.log("two-beats").read_text(), "mail.send")
    row.runs = beats_sent
    row.lost = (len(leaving) - len(deactivated)) + (len(stale) - len(decided)) + (MAILS - sum(
        1 for key in mails if key.startswith("mail:t")))
    row.duplicated = (sum(n - 1 for n in deactivated.values()) + sum(n - 1 for n in decided.values())
                      + sum(n - 1 for n in again.values()) + sum(n - 1 for n in mails.values()) + told_staff - 1)
    assert beats_sent > 0
    assert row.lost == 0 and row.duplicated == 0, (deactivated, decided, again, told_staff)
    assert admin_mails == len(leaving), "each ended login: one mail to its member's administrator"
