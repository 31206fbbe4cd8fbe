"""Multi-process safe: with PROMETHEUS_MULTIPROC_DIR set (gunicorn workers, prefork task workers), what each
process counted is added up by whichever process answers the scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.ops_support import samples, value

ROOT = Path(__file__).resolve().parents[2]
ANSWER = """
from web import create_app
client = create_app({"TESTING": True}).test_client()
for _ in range(2):
    assert client.get("/healthz").status_code == 200
"""
SCRAPE = """
import sys
from web import create_app
client = create_app({"TESTING": True}).test_client()
for _ in range(3):
    assert client.get("/healthz").status_code == 200
sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def _run(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_counts_of_several_processes_add_up_in_one_scrape(pg, tmp_path):
    _run(ANSWER, tmp_path)  # two "gunicorn workers", each with its own file; the second answers the scrape
    page = samples(_run(SCRAPE, tmp_path))
    assert value(page, "backoffice_http_requests_total", method="GET", route="/healthz", status="200") == 5
    assert value(page, "backoffice_database_up") == 1  # the database gauges come along in the same scrape
    assert len(list(tmp_path.glob("*.db"))) >= 2
