"""A real worker process with two pool processes on the embedded default of `make run` (SQLite and kombu's
SQLAlchemy transport, which Flower cannot read): each task runs and logs `task.finished` once, even with relays
racing for the same outbox rows; and what the operations page shows instead of Flower (the live worker, each
task's last outcome) is written by the worker itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from core import clock, health, migrate, outbox
from core.models import Heartbeat, OutboxMessage
from tests.polling import poll

ROOT = Path(__file__).resolve().parents[2]
TASKS = 40
RELAYS = 8


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A migrated SQLite database, a SQLAlchemy broker and a worker process on both, as `make run` starts it."""
    database, broker = f"sqlite:///{tmp_path / 'backoffice.sqlite'}", f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    migrate.upgrade(database)
    env = {**os.environ, "DATABASE_URL": database, "BROKER_URL": broker, "VAR_DIR": str(tmp_path),
           "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO",
                                 "--concurrency", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            poll(lambda: b" ready." in log_path.read_bytes() or proc.poll() is not None, 60, "the worker")
            assert proc.poll() is None, log_path.read_text()
            yield {"database": database, "broker": broker, "log": str(log_path)}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # the SQL transport's warm shutdown can hang; nothing is left to do
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _finished(log_path: str) -> Counter[str]:
    lines = []
    for line in Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines():
        if '"task.finished"' in line:
            lines.append(json.loads(line[line.index("{"):]))
    return Counter(entry["task_id"] for entry in lines)


def test_every_task_runs_and_logs_task_finished_once_when_relays_race(embedded):
    engine = create_engine(embedded["database"])
    keys = [f"render:once-{n}" for n in range(TASKS)]
    with Session(engine) as session, session.begin():
        for key in keys:  # an empty chunk: the task runs and finishes without touching a letter
            outbox.add(session, "letters.render", {"letter_ids": []}, key=key, now=clock.now())
    sender = Celery("probe", broker=embedded["broker"])
    for _ in range(RELAYS):
        sender.send_task("outbox.relay")

    def all_sent() -> bool:
        with Session(engine) as session:
            return session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0

    poll(all_sent, 60, "the relays to publish every outbox row")
    sender.send_task("letters.render", kwargs={"letter_ids": []}, task_id="render:last")  # queued after them all
    poll(lambda: _finished(embedded["log"])["render:last"], 60, "the last task")
    poll(lambda: health.queue_sizes(embedded["broker"], ["celery"]) == {"celery": 0}, 30, "an empty queue")
    finished = _finished(embedded["log"])
    assert {key: finished[key] for key in keys if finished[key] != 1} == {}


def _heartbeats(engine) -> dict[str, str]:
    with Session(engine) as session:
        return {row.name: row.detail for row in session.scalars(select(Heartbeat))}


def test_the_worker_reports_under_one_name_and_each_task_s_last_outcome(embedded):
    engine = create_engine(embedded["database"])
    sender = Celery("probe", broker=embedded["broker"])
    sender.send_task("operations.heartbeat")
    alive = poll(lambda: [name for name, detail in _heartbeats(engine).items() if detail == "alive"], 60,
                 "the worker's heartbeat")
    workers = [name for name in _heartbeats(engine) if name.startswith("worker:")]
    assert workers == alive and alive[0].startswith("worker:celery@")  # "ready" and "alive" share one row
    sender.send_task("letters.render", kwargs={"letter_ids": []}, task_id="render:fine")
    sender.send_task("mail.send", kwargs={}, task_id="mail:broken")  # no recipient: fails for good
    seen = poll(lambda: (beats := _heartbeats(engine)).get("job:letters.render") and beats.get("job:mail.send")
                and beats, 60, "both tasks' outcomes")
    assert seen["job:letters.render"] == "SUCCESS" and seen["job:mail.send"] == "FAILURE TypeError"
