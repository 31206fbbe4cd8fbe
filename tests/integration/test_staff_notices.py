"""Staff are told about waiting cases in batches: at most one e-mail per staff member per 15 minutes, only about
cases their role may decide, with counts and a link but no member data; two runs at once send each mail once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update
from staff_support import create_staff, make_member

from core import clock, db
from core.desk import cases, staff_notices
from core.models import OutboxMessage, StaffUser


def _case(kind: str, member_id: int | None = None) -> int:
    with db.unit_of_work() as s:
        return cases.open_case(s, kind=kind, why="the UID does not match", now=clock.now(), member_id=member_id).id


def _notices(to: str | None = None) -> list[dict]:
    with db.unit_of_work() as s:
        rows = s.scalars(select(OutboxMessage.args).where(OutboxMessage.task == "mail.send",
                                                          OutboxMessage.key.like("mail:staff-notice:%"))
                         .order_by(OutboxMessage.id))
        return [args for args in rows if to is None or args["to"] == to]


def _run(at) -> int:
    with db.unit_of_work() as s:
        return staff_notices.notify(s, at)


def test_two_runs_within_15_minutes_send_one_mail_and_a_later_run_tells_of_new_cases(pg):
    create_staff("anna.muster")
    now = clock.now()
    assert _run(now) == 0  # nothing open: nobody is mailed
    _case("support")
    assert _run(now) == 1
    _case("support")
    assert _run(now + timedelta(minutes=5)) == 0 and _run(now + timedelta(minutes=14)) == 0
    assert _run(now + timedelta(minutes=15)) == 1
    assert _run(now + timedelta(minutes=40)) == 0  # nothing new since the last mail
    mails = _notices("anna.muster@exfour.ch")
    assert len(mails) == 2 and "2 open cases" in mails[1]["subject"] and "Support requests: 2" in mails[1]["body"]


def test_the_mail_has_counts_and_a_link_but_no_member_data(pg):
    create_staff("anna.muster")
    member_id = make_member("424242", name="Geheim Treuhand AG")
    _case("returned_mail", member_id)
    _case("new_code", member_id)
    _run(clock.now())
    (mail,) = _notices()
    assert "Returned letters: 1" in mail["body"] and "New code requests: 1" in mail["body"]
    assert "/staff/" in mail["body"]
    for secret in ("424242", "Geheim", "UID does not match"):
        assert secret not in mail["body"] and secret not in mail["subject"]


def test_r17_only_staff_who_may_decide_are_told_and_inactive_staff_never(pg):
    create_staff("carla.clerk")
    create_staff("sara.boss", role="supervisor")
    gone = create_staff("old.hand", role="supervisor")
    with db.unit_of_work() as s:
        s.execute(update(StaffUser).where(StaffUser.id == gone.staff_id).values(active=False))
    _case("stale_logins")
    assert _run(clock.now()) == 1
    assert [m["to"] for m in _notices()] == ["sara.boss@exfour.ch"]


def test_two_runs_at_the_same_moment_send_each_mail_once(pg):
    for name in ("anna.muster", "bruno.bern", "clara.chur"):
        create_staff(name)
    _case("support")
    now = clock.now()
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        barrier.wait()
        results.append(_run(now))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 3 and len(_notices()) == 3
