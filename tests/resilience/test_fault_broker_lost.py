"""Fault 3: Redis restarted without persistence while 1,000 requests wait in the queue. The broker is not a
database: the requests are still "received" in PostgreSQL, and the stale-work sweep (beat runs it every minute)
queues them again once they are overdue, so all of them are completed from the database alone."""

from __future__ import annotations

import subprocess
import sys

from resilience_support import ROOT, add_members, submit_requests, tally

from core.services import stale_work
from tests.polling import poll

REQUESTS = 1000


def test_fault3_redis_restarted_empty_with_1000_queued_requests_all_complete_from_the_database(stack, report):
    row = report.row("3 Redis restart, 1,000 requests queued")
    submit_requests(add_members(REQUESTS))
    assert stack.relay() == 0
    assert stack.redis.queued() == REQUESTS, "the requests wait in Redis, no worker takes them"

    stack.redis.restart_empty()
    assert stack.redis.queued() == 0, "Redis came back with nothing"

    clock_file = stack.var_dir / "clock-offset"  # the sweep runs as it would once the requests are overdue
    clock_file.write_text(str((stale_work.REQUEST_GRACE.total_seconds()) + 60))
    stack.worker("after-redis-loss", beat=True, BACKOFFICE_CLOCK_FILE=str(clock_file))
    sweep = "from worker.tasks.outbox import requeue_stale; requeue_stale()"  # beat's minute tick, without the wait
    subprocess.run([sys.executable, "-c", sweep], cwd=ROOT, check=True, timeout=120,
                   env=stack.env(BACKOFFICE_CLOCK_FILE=str(clock_file)))
    poll(lambda: tally().completed == REQUESTS, 300, "every request to be completed", interval_s=1)
    outcome = tally()
    row.runs, row.lost, row.duplicated = REQUESTS, outcome.lost, outcome.duplicated
    assert outcome.lost == 0 and outcome.duplicated == 0
