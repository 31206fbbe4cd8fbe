"""Faults 1 and 2: a worker killed with SIGKILL while it renders letters, and the outbox relay killed after it
published and before it marked its rows sent. Afterwards each letter exists once with one code, and each task's
effect happened once."""

from __future__ import annotations

from datetime import timedelta

from resilience_support import BACKENDS, add_members, count, submit_requests, tally
from sqlalchemy import select

from bench import effect_once
from core import clock, config, db
from core.domain.states import LetterStatus
from core.models import Letter, OutboxMessage, Request
from core.operations import stale_work
from tests.polling import poll
from worker.tasks.outbox import DIE_AFTER_PUBLISH

LETTERS = 1000  # five render chunks of 200: the kill lands while some are still in flight


def _rendered() -> int:
    return count(Letter, Letter.status == LetterStatus.RENDERED)


@BACKENDS
def test_r2_fault1_worker_killed_while_rendering_leaves_each_letter_once_with_one_code(stack, report, tmp_path):
    from click.testing import CliRunner

    from bench.make_register import write_register
    from core.cli import main

    row = report.row(f"1 worker kill -9 while rendering ({stack.label})")
    register = tmp_path / "members.csv"
    write_register(LETTERS, register, seed=11)
    assert CliRunner().invoke(main, ["members", "import", str(register)]).exit_code == 0
    first = stack.worker("render-1")
    assert stack.relay() == 0
    poll(lambda: _rendered() >= 1, 120, "the first letters to be rendered", interval_s=0.02)
    stack.kill9(first)  # mid-mailing: the tasks it held die with it, unacknowledged
    assert _rendered() < LETTERS, "the worker finished before it could be killed; raise LETTERS"

    stack.worker("render-2")
    with db.unit_of_work() as s:  # what the stale-work sweep does once the letters are overdue
        stale_work.requeue(s, clock.now() + stale_work.LETTER_GRACE + timedelta(minutes=1))
    assert stack.relay() == 0
    poll(lambda: _rendered() == LETTERS, 180, "every letter to be rendered after the restart")

    with db.unit_of_work() as s:
        once = effect_once.check(s, config.get().letters_dir, LETTERS, samples=30)
    row.runs = LETTERS
    row.lost = once.lost
    row.duplicated = once.duplicated
    assert row.lost == 0 and row.duplicated == 0
    assert once.pdfs == LETTERS
    assert not once.mismatched, once.mismatched  # a sample: the printed code is the stored one


@BACKENDS
def test_r2_fault2_relay_killed_after_publish_before_mark_the_effect_happens_once(stack, report):
    row = report.row(f"2 relay kill -9 after publish, before mark ({stack.label})")
    requests = 40
    submit_requests(add_members(requests))
    assert stack.relay(BACKOFFICE_FAULT=DIE_AFTER_PUBLISH) == 137
    assert count(OutboxMessage, OutboxMessage.sent_at.is_(None)) == requests, "the dead relay marked nothing"
    assert stack.broker.queued() == requests, "the dead relay had published the batch"
    assert stack.relay() == 0  # the next relay publishes every row again, under the same task ids
    assert stack.broker.queued() == 2 * requests
    assert count(OutboxMessage, OutboxMessage.sent_at.is_(None)) == 0

    stack.worker("relay-fault", beat=True)  # beat relays what the decisions queue (letters, mails)
    poll(lambda: tally().completed == requests, 180, "every request to be decided and its letter rendered")
    outcome = tally()
    row.runs, row.lost, row.duplicated = requests, outcome.lost, outcome.duplicated
    assert outcome.lost == 0 and outcome.duplicated == 0
    with db.unit_of_work() as s:
        decided = s.scalars(select(Request.outcome)).all()
    assert decided == ["code_issued"] * requests
