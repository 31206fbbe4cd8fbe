"""End-to-end: a real Celery worker process (with its beat) on Redis, the web app under gunicorn on a local port,
both on the test session's PostgreSQL database, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.polling import poll  # noqa: F401 - the e2e tests import it from here

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-quic", "--no-first-run", "--disable-sync"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def clock_file(var_dir: Path) -> Iterator[Path]:
    """One clock for the test, the web server and the worker: core.clock.set_offset moves all of them."""
    path = var_dir / "clock-offset"
    path.write_text("0")
    os.environ["BACKOFFICE_CLOCK_FILE"] = str(path)  # _env() passes it on to the processes started below
    yield path
    path.write_text("0")
    os.environ.pop("BACKOFFICE_CLOCK_FILE", None)


@pytest.fixture(scope="session")
def worker_process(pg_database: str, var_dir: Path, web_server: str, clock_file: Path
                   ) -> Iterator[subprocess.Popen[bytes]]:
    log = open(var_dir / "worker.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "-B", "--loglevel", "INFO",
         "--concurrency", "2", "--schedule", str(var_dir / "beat-schedule")],
        cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    poll(lambda: b"ready" in (var_dir / "worker.log").read_bytes() or proc.poll() is not None, 60, "the worker")
    assert proc.poll() is None, (var_dir / "worker.log").read_text()
    yield proc
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)
    log.close()


@pytest.fixture(scope="session")
def web_server(pg_database: str, var_dir: Path, clock_file: Path) -> Iterator[str]:
    from bench.services import free_port, wait_for_port

    port = free_port()
    env = _env()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    # Every walk comes from 127.0.0.1 through this one server: the coarse per-IP limit (tested in tests/security)
    # would otherwise answer a later walk's login or code with 429 once earlier walks used the minute's budget.
    env["RATELIMIT_AUTH"] = env["RATELIMIT_INTAKE"] = "100000 per minute"
    os.environ["PUBLIC_BASE_URL"] = env["PUBLIC_BASE_URL"]  # the worker prints it as the registration link
    from core import config

    config.reset()
    log = open(var_dir / "web.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "web.wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("chromium is not installed: `make test` installs Debian's chromium")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
