"""R12 under concurrency, on PostgreSQL and on the embedded SQLite (`make run`): two administrators who deactivate
each other at the same moment cannot both succeed; the member keeps one."""

from __future__ import annotations

import threading

import pytest
from admin_support import ALL, make_login, make_member
from sqlalchemy import func, select

from core import clock, config, db
from core.domain.states import LoginStatus
from core.logins import leaving, logins
from core.models import Login
from tests.security.live_site import use_sqlite


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, pg, tmp_path, monkeypatch):
    if request.param == "sqlite":
        use_sqlite(tmp_path, monkeypatch)
    yield request.param
    db.dispose()
    monkeypatch.undo()
    config.reset()
    db.dispose()


def _deactivate(actor: int, target: int, start: threading.Barrier, outcomes: list[str]) -> None:
    start.wait()
    try:
        with db.unit_of_work() as s:
            leaving.deactivate(s, actor, target, None, clock.now())
        outcomes.append("deactivated")
    except (logins.Refused, logins.NotAllowed):
        # Refused: the other is the last administrator (R12); NotAllowed: the other went first, and the actor's
        # own login has ended by the time its turn comes. Either way this one does nothing.
        outcomes.append("refused")


@pytest.mark.parametrize("round_", range(3))
def test_r12_two_administrators_deactivating_each_other_at_once_leave_one(database, round_, report):
    row = report.row("R12 two administrators deactivate each other at once (PostgreSQL and SQLite)")
    row.runs = 2
    member = make_member(f"88000{round_}", "Race AG")
    first, _ = make_login(member, "Anna Admin", f"anna{round_}@race.example", ALL)
    second, _ = make_login(member, "Beat Admin", f"beat{round_}@race.example", ALL)
    start, outcomes = threading.Barrier(2), []
    threads = [threading.Thread(target=_deactivate, args=(first, second, start, outcomes)),
               threading.Thread(target=_deactivate, args=(second, first, start, outcomes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    row.lost = int(outcomes.count("deactivated") > 1)  # the member's last administrator lost
    assert sorted(outcomes) == ["deactivated", "refused"]
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Login)
                        .where(Login.member_id == member, Login.status == LoginStatus.ACTIVE)) == 1
