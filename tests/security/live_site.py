"""The web app as an attacker meets it: gunicorn with several worker processes on a real socket, on PostgreSQL or
on the embedded SQLite, and clients with their own cookies and CSRF tokens sent at once."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import requests as http
from sqlalchemy import func, select

from bench.services import free_port, wait_for_port
from core import config, db, migrate

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
T = TypeVar("T")


def use_sqlite(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """This process and the site it starts on a fresh, migrated SQLite file (the embedded default)."""
    url = f"sqlite:///{tmp_path / 'backoffice.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    config.reset()
    db.dispose()
    migrate.upgrade(url)


@contextmanager
def gunicorn(tmp_path: Path, **env: str) -> Iterator[str]:
    """gunicorn (4 processes, 4 threads each) on this process's database; yields its base URL."""
    port = free_port()
    log_path = tmp_path / f"web-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "4", "--bind",
                                 f"127.0.0.1:{port}", "web.wsgi:app"], cwd=ROOT, env={**os.environ, **env},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            db.dispose()
    written = log_path.read_text(errors="replace")
    if "Traceback" in written:  # a test that failed on a 500 shows why, in its captured output
        sys.stderr.write(written[written.index("Traceback"):][:20000])
    server_errors = [line for line in written.splitlines() if " 500 " in line]
    assert not server_errors, server_errors[:3]


@contextmanager
def site_on(database: str, tmp_path: Path, monkeypatch, prepare: Callable[[], object] = lambda: None,  # type: ignore[no-untyped-def]
            **env: str) -> Iterator[str]:
    """gunicorn on PostgreSQL (the test's database) or on a fresh SQLite file, after `prepare` stored the test's
    data, with the per-IP limits raised: what answers is the rule under attack, not the limiter in front of it."""
    if database == "sqlite":
        use_sqlite(tmp_path, monkeypatch)
    try:
        prepare()
        with gunicorn(tmp_path, RATELIMIT_AUTH="10000 per minute", RATELIMIT_INTAKE="10000 per minute", **env) as base:
            yield base
    finally:
        monkeypatch.undo()
        config.reset()
        db.dispose()


def count(model: type, *where: object) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


class Client:
    """One attacker's browser: its own cookies and CSRF token."""

    def __init__(self, base: str, page: str, language: str = "en") -> None:
        self.base, self.http = base, http.Session()
        self.http.headers["Accept-Language"] = language
        # A new connection for each request: gunicorn closes an idle keep-alive connection after 2 s, and a POST
        # sent on it as it closes is lost in transit rather than answered (requests retries no POST).
        self.http.headers["Connection"] = "close"
        self.token = self.token_of(page)

    def token_of(self, page: str) -> str:
        return TOKEN.search(self.http.get(self.base + page, timeout=30).text).group(1)  # type: ignore[union-attr]

    def post(self, path: str, form: dict[str, str], **kwargs: object) -> str:
        reply = self.send(path, form, **kwargs)
        assert reply.status_code < 500, reply.text[:300]
        return html.unescape(reply.text)

    def send(self, path: str, form: dict[str, str], **kwargs: object) -> http.Response:
        return self.http.post(self.base + path, data={**form, "csrf_token": self.token}, timeout=60,
                              **kwargs)  # type: ignore[arg-type]


def all_at_once(items: list[T], send: Callable[[T], object]) -> list[object]:
    """`send` for every item from its own thread, released together."""
    start = threading.Barrier(len(items))

    def one(item: T) -> object:
        start.wait()
        return send(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(one, items))
