"""The stack the fault tests break: a private PostgreSQL database and a private Redis (no persistence) on its own
port, or the embedded default of `make run` (a SQLite file and kombu's SQLAlchemy transport on another), and
real worker, beat and relay processes started and killed by the test. Private, so that no other worker of the
test session (the e2e one runs beat) takes our tasks or relays our outbox rows."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bench.services import free_port, wait_for_port
from core import config, db
from core.domain.states import LetterStatus, RequestStatus
from core.models import Base
from tests.polling import poll

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = pytest.mark.parametrize("stack", ["postgres", "embedded"], indirect=True)
"""Runs a fault test on PostgreSQL and Redis, then on the embedded default of `make run` (SQLite and kombu's SQL
transport): its duplicate checks hold on both."""


class PrivateRedis:
    """A redis-server that keeps nothing on disk: restarting it loses every message it held."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", tempfile.gettempdir()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart_empty(self) -> None:
        self.kill()
        self.start()

    def flush(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "FLUSHALL"], check=True, capture_output=True)

    def queued(self, queue: str = "celery") -> int:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "LLEN", queue], check=True, capture_output=True)
        return int(out.stdout.strip() or 0)


class SqlBroker:
    """kombu's SQLAlchemy transport on a SQLite file, as `make run` uses it. A message taken by a worker is kept
    with visible = 0 and is never handed out again, so a killed worker loses what it held: only the database's
    stale-work sweep brings it back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def url(self) -> str:
        return f"sqla+sqlite:///{self.path}"

    def _query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        if not self.path.exists():
            return []
        with sqlite3.connect(self.path, timeout=30) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "kombu_message" not in tables:
                return []
            return conn.execute(sql, args).fetchall()

    def queued(self, queue: str = "celery") -> int:
        rows = self._query("SELECT count(*) FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
                           "WHERE q.name = ? AND m.visible = 1", queue)
        return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]

    def flush(self) -> None:
        self.path.unlink(missing_ok=True)

    def restart_empty(self) -> None:
        self._query("DELETE FROM kombu_message")

    def kill(self) -> None:
        self.flush()


Broker = PrivateRedis | SqlBroker


@dataclass
class Stack:
    database_url: str
    broker: Broker
    var_dir: Path
    log_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def label(self) -> str:
        """How the resilience table names the backend a row ran on."""
        return "SQLite, SQL broker" if self.embedded else "PostgreSQL, Redis"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DATABASE_URL=self.database_url, BROKER_URL=self.broker.url, VAR_DIR=str(self.var_dir),
                   PYTHONUNBUFFERED="1")
        env.pop("BACKOFFICE_CLOCK_FILE", None)
        env.update(extra)
        return env

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, name: str, argv: list[str], **extra: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env(**extra), stdout=self.log(name).open("ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def worker(self, name: str = "worker", concurrency: int = 2, beat: bool = False,
               **extra: str) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO",
                "--concurrency", str(concurrency), "--hostname", f"{name}-{os.getpid()}@%h"]
        if beat:
            argv += ["-B", "--schedule", str(self.var_dir / f"{name}-schedule")]
        before = self.log(name).read_bytes().count(b"ready") if self.log(name).exists() else 0
        proc = self.start(name, argv, **extra)
        poll(lambda: self.log(name).read_bytes().count(b"ready") > before or proc.poll() is not None, 60,
             f"the {name} to be ready")
        assert proc.poll() is None, self.log(name).read_text()
        return proc

    def beat(self, name: str = "beat") -> subprocess.Popen[bytes]:
        return self.start(name, [sys.executable, "-m", "celery", "-A", "worker.app", "beat", "--loglevel", "INFO",
                                 "--schedule", str(self.var_dir / f"{name}-schedule")])

    def relay(self, **extra: str) -> int:
        """One run of the outbox relay in its own process (what beat runs every 2 s); returns its exit code."""
        code = "from worker.tasks.outbox import relay; relay()"
        return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=self.env(**extra),
                              stdout=self.log("relay").open("ab"), stderr=subprocess.STDOUT, timeout=120).returncode

    def kill9(self, proc: subprocess.Popen[bytes]) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:  # the SQL transport's warm shutdown can hang; by then nothing is left to do
                proc.wait(10 if self.embedded else 60)
            except subprocess.TimeoutExpired:
                self.kill9(proc)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    self.stop(proc)


def create_database(name: str) -> str:
    import psycopg

    from core import migrate

    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    migrate.upgrade(url)
    return url


def create_embedded_database(path: Path) -> str:
    from core import migrate

    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def switched_to(stack: Stack) -> Iterator[None]:
    """This process's settings and engine on the stack's database, restored afterwards."""
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "BROKER_URL", "VAR_DIR")}
    os.environ.update(DATABASE_URL=stack.database_url, BROKER_URL=stack.broker.url, VAR_DIR=str(stack.var_dir))
    config.reset()
    db.dispose()
    try:
        yield
    finally:
        db.dispose()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        config.reset()


def empty_tables() -> None:
    with warnings.catch_warnings():  # login and registration_code refer to each other: TRUNCATE takes them together
        warnings.simplefilter("ignore")
        tables = [t.name for t in Base.metadata.sorted_tables]
    engine = db.engine()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:  # foreign keys are checked per statement; off while every table is emptied
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            with conn.begin():
                for table in reversed(tables):
                    conn.execute(text(f'DELETE FROM "{table}"'))
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        return
    quoted = ", ".join(f'"{table}"' for table in tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


def count(model: type, *where: object) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def fresh_var_dir(base: Path) -> Path:
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    return base


def add_members(count: int, prefix: str = "7") -> list[str]:
    """Members with no login (so a new-code request is granted: R5); returns their member numbers."""
    from core import clock
    from core.models import Member

    now = clock.now()
    numbers = [f"{prefix}{i:06d}" for i in range(count)]
    with db.unit_of_work() as s:
        s.add_all([Member(member_number=number, uid="CHE-100.155.212", name=f"Muster {number} AG", care_of="",
                          street="Bahnhofstrasse 1", po_box="", postcode="3000", town="Bern", language="de",
                          email="", code_failures=0, created_at=now, updated_at=now) for number in numbers])
    return numbers


def request_form(member_number: str) -> dict[str, object]:
    return {"member_number": member_number, "uid": "CHE-100.155.212", "company_name": f"Muster {member_number} AG",
            "requester_name": "Anna Muster", "requester_role": "Head of HR",
            "requester_email": f"anna.{member_number}@example.ch", "requester_phone": "",
            "reason": "Our only administrator has left the company.", "language": "de"}


def submit_requests(numbers: list[str]) -> None:
    """New-code requests stored the way intake stores them: request and outbox row in one transaction each."""
    from core import clock
    from core.desk import requests
    from core.domain.requests import parse_new_code

    for number in numbers:
        with db.unit_of_work() as s:
            requests.submit_new_code(s, parse_new_code(request_form(number)), clock.now())


@dataclass(frozen=True)
class Tally:
    """Per request: completed (decided, its letter rendered), lost (not), duplicated (more than one letter or
    code for its member)."""

    submitted: int
    completed: int
    lost: int
    duplicated: int


def tally() -> Tally:
    from core.models import Letter, RegistrationCode, Request

    with db.unit_of_work() as s:
        submitted = s.scalar(select(func.count()).select_from(Request)) or 0
        letters = dict(s.execute(select(Letter.member_id, func.count()).group_by(Letter.member_id)).all())
        rendered = dict(s.execute(select(Letter.member_id, func.count()).where(Letter.status == LetterStatus.RENDERED)
                                  .group_by(Letter.member_id)).all())
        codes = dict(s.execute(select(RegistrationCode.member_id, func.count())
                               .group_by(RegistrationCode.member_id)).all())
        members = s.scalars(select(Request.member_id).where(Request.status != RequestStatus.RECEIVED)).all()
    completed = sum(1 for member_id in members if rendered.get(member_id))
    duplicated = sum(1 for n in letters.values() if n > 1) + sum(1 for n in codes.values() if n > 1)
    return Tally(submitted, completed, submitted - completed, duplicated)
