"""Fault 3: the broker loses every message while requests wait in the queue: Redis restarted without persistence
with 1,000 queued, or the embedded SQL transport's messages deleted with 200 queued (some thirty tasks a second on
this transport, so fewer). The broker is not a database: the requests are still "received" in the database, and the
stale-work sweep (beat runs it every minute) queues them again once they are overdue, so all of them are
completed from the database alone, each once."""

from __future__ import annotations

import subprocess
import sys

from resilience_support import BACKENDS, ROOT, add_members, submit_requests, tally

from core.operations import stale_work
from tests.polling import poll


@BACKENDS
def test_fault3_broker_emptied_with_requests_queued_all_complete_from_the_database_once(stack, report):
    requests = 200 if stack.embedded else 1000
    row = report.row(f"3 broker emptied, {requests:,} requests queued ({stack.label})")
    submit_requests(add_members(requests))
    assert stack.relay() == 0
    assert stack.broker.queued() == requests, "the requests wait in the broker, no worker takes them"

    stack.broker.restart_empty()
    assert stack.broker.queued() == 0, "the broker came back with nothing"

    clock_file = stack.var_dir / "clock-offset"  # the sweep runs as it would once the requests are overdue
    clock_file.write_text(str((stale_work.REQUEST_GRACE.total_seconds()) + 60))
    stack.worker("after-redis-loss", beat=True, BACKOFFICE_CLOCK_FILE=str(clock_file))
    sweep = "from worker.tasks.outbox import requeue_stale; requeue_stale()"  # beat's minute tick, without the wait
    subprocess.run([sys.executable, "-c", sweep], cwd=ROOT, check=True, timeout=120,
                   env=stack.env(BACKOFFICE_CLOCK_FILE=str(clock_file)))
    poll(lambda: tally().completed == requests, 300, "every request to be completed", interval_s=1)
    outcome = tally()
    row.runs, row.lost, row.duplicated = requests, outcome.lost, outcome.duplicated
    assert outcome.lost == 0 and outcome.duplicated == 0
