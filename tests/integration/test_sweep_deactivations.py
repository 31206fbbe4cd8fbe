"""The deactivation sweep on real PostgreSQL (R11, R18): logins past their last working day are ended, audited and
announced to the member's administrators exactly once, even when two sweeps run at the same time."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from admin_support import ALL, login_row, make_login, make_member, outbox_rows
from sqlalchemy import func, select, text

from core import audit, db
from core.domain.states import LoginStatus
from core.logins import deactivation_sweep
from core.models import AuditEvent
from tests.polling import poll

# 10 March 2026, 23:30 in Zurich: the 10th is over at 23:00 UTC.
LAST_DAY = date(2026, 3, 10)
BEFORE_MIDNIGHT = datetime(2026, 3, 10, 22, 59, 59, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 3, 10, 23, 0, 1, tzinfo=UTC)


@pytest.fixture
def company(pg):
    member_id = make_member("420100", "Muster Holzbau AG")
    anna = make_login(member_id, "Anna Muster", "anna@muster.example", ALL, language="de")
    gina = make_login(member_id, "Gina Admin", "gina@muster.example", ALL, language="fr")
    leavers = [make_login(member_id, f"Leaver {n}", f"leaver{n}@muster.example", ["correspondence"],
                          last_day=LAST_DAY)[0] for n in range(20)]
    staying = make_login(member_id, "Ben Keller", "ben@muster.example", ["correspondence"],
                         last_day=LAST_DAY + timedelta(days=1))[0]
    return {"member_id": member_id, "admins": [anna[0], gina[0]], "leavers": leavers, "staying": staying}


def sweep_at(now: datetime) -> list[int]:
    with db.unit_of_work() as s:
        return deactivation_sweep.sweep(s, now)


def test_r11_the_sweep_ends_logins_only_after_midnight_zurich_of_their_last_day(company):
    assert sweep_at(BEFORE_MIDNIGHT) == []
    versions = {i: login_row(i).session_version for i in company["leavers"]}
    ended = sweep_at(AFTER_MIDNIGHT)
    assert sorted(ended) == sorted(company["leavers"])
    for login_id in company["leavers"]:
        row = login_row(login_id)
        assert row.status == LoginStatus.DEACTIVATED and row.deactivated_at == AFTER_MIDNIGHT
        assert row.session_version == versions[login_id] + 1  # every session ends
    assert login_row(company["staying"]).status == LoginStatus.ACTIVE
    assert all(login_row(i).status == LoginStatus.ACTIVE for i in company["admins"])


def test_r18_the_sweep_audits_and_tells_each_administrator_once_in_their_language(company):
    sweep_at(AFTER_MIDNIGHT)
    assert sweep_at(AFTER_MIDNIGHT + timedelta(minutes=1)) == []  # the next run finds nothing to do
    with db.unit_of_work() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "login.deactivated")).all()
        assert sorted(e.subject for e in events) == sorted(f"login:{i}" for i in company["leavers"])
        assert {e.actor for e in events} == {"system"}
        assert events[0].detail == {"last_day": "2026-03-10", "reason": "last_day_passed"}
        assert list(audit.verify(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))) == []
    mails = outbox_rows("mail.send")
    assert len(mails) == 2 * len(company["leavers"])
    to_anna = [m.args for m in mails if m.args["to"] == "anna@muster.example"]
    assert len(to_anna) == len(company["leavers"])
    assert "Das Login von Leaver 0 für Muster Holzbau AG" in to_anna[0]["body"] and "10.03.2026" in to_anna[0]["body"]
    to_gina = [m.args for m in mails if m.args["to"] == "gina@muster.example"]
    assert to_gina[0]["subject"].startswith("connect : le login de Leaver")


def test_r11_two_sweeps_at_the_same_moment_do_the_work_once(company):
    """Both claim with one UPDATE … RETURNING: the second waits for the first's row locks, then finds the rows no
    longer active. The first is held open until the second is seen waiting, so the race really happens."""
    results: dict[str, list[int]] = {}
    first_claimed = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with db.unit_of_work() as s:
            results["first"] = deactivation_sweep.sweep(s, AFTER_MIDNIGHT)
            first_claimed.set()
            assert release_first.wait(30)

    def second() -> None:
        assert first_claimed.wait(30)
        with db.unit_of_work() as s:
            results["second"] = deactivation_sweep.sweep(s, AFTER_MIDNIGHT)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        wait_for_a_blocked_update()
    finally:
        release_first.set()
        for thread in threads:
            thread.join(30)
    assert sorted(results["first"]) == sorted(company["leavers"]) and results["second"] == []
    assert_done_once(company)


def test_r11_two_sweeps_started_together_share_the_work_without_doing_any_twice(company):
    start = threading.Barrier(2)
    results: list[list[int]] = []

    def run() -> None:
        start.wait()
        results.append(sweep_at(AFTER_MIDNIGHT))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = results[0] + results[1]
    assert sorted(claimed) == sorted(company["leavers"]) and len(set(claimed)) == len(claimed)
    assert_done_once(company)


def assert_done_once(company) -> None:
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "login.deactivated")) \
            == len(company["leavers"])
    mails = outbox_rows("mail.send")
    assert len(mails) == 2 * len(company["leavers"]) and len({m.key for m in mails}) == len(mails)


def wait_for_a_blocked_update(deadline_s: float = 20) -> None:
    def waiting() -> int:
        with db.engine().connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE login%'")).scalar() or 0)

    poll(waiting, deadline_s, "the second sweep to wait for the first", interval_s=0.05)


def test_r11_the_sweep_claims_the_due_logins_through_the_partial_index(company):
    s = db.session()
    try:
        s.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table is cheaper to scan: ask what it would use
        plan = "\n".join(deactivation_sweep.explain(s, AFTER_MIDNIGHT))
    finally:
        s.rollback()
        s.close()
    assert "ix_login_due" in plan, plan
