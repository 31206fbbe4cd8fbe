"""Submit-to-letter latency: single requests, one at a time, with an idle worker; median and p95."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.services import env_with, free_port, scratch_database, wait_for_port

LETTER_STATE = text(
    "SELECT l.status FROM letter l JOIN registration_code c ON c.id = l.code_id "
    "JOIN request r ON r.id = c.request_id WHERE r.reference = :ref"
)


def _post(base: str, member_number: str, uid: str) -> str:
    body = json.dumps({
        "kind": "new_code", "member_number": member_number, "uid": uid, "company_name": f"Firma {member_number}",
        "requester": {"name": "Anna Muster", "role": "HR", "email": "anna@example.ch", "phone": "+41311234567"},
        "reason": "Our only administrator has left.",
    }).encode()
    request = urllib.request.Request(f"{base}/api/v1/requests", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        return str(json.loads(response.read())["reference"])


def _wait_rendered(engine, reference: str, deadline_s: float = 30) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    with engine.connect() as conn:
        while time.perf_counter() - start < deadline_s:
            if conn.execute(LETTER_STATE, {"ref": reference}).scalar() == "rendered":
                return time.perf_counter() - start
            conn.rollback()
            time.sleep(0.005)
    raise RuntimeError(f"request {reference}: no rendered letter after {deadline_s} s")


def run(samples: int = 30) -> list[float]:
    from bench.make_register import write_register

    with tempfile.TemporaryDirectory() as tmp, scratch_database("bo_bench_latency") as url:
        register = Path(tmp) / "members.csv"
        rows = write_register(samples, register)
        port = free_port()
        env = env_with(DATABASE_URL=url, BROKER_URL="redis://127.0.0.1:6379/14", VAR_DIR=tmp,
                       PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", RATELIMIT_INTAKE="1000000 per second")
        subprocess.run([sys.executable, "-m", "core.cli", "members", "import", str(register), "--no-invitations"],
                       env=env, check=True, capture_output=True)
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                                "web.wsgi:app"], env=env, stderr=subprocess.DEVNULL, start_new_session=True)
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker.app", "worker", "-B",
                                   "--concurrency", "2", "--loglevel", "WARNING",
                                   "--schedule", f"{tmp}/beat"], env=env, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        engine = create_engine(url)
        try:
            wait_for_port(port)
            base = f"http://127.0.0.1:{port}"
            _wait_rendered(engine, _post(base, rows[0].member_number, rows[0].uid), 60)  # warm-up
            times = []
            for row in rows[1:]:
                times.append(_wait_rendered(engine, _post(base, row.member_number, row.uid)))
            return times
        finally:
            for proc in (web, worker):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
            engine.dispose()


def report(times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    print(f"\n== submit-to-letter latency, idle worker, {len(times)} requests one at a time ==")
    print(f"median {statistics.median(ordered) * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   "
          f"max {ordered[-1] * 1000:.0f} ms   target median < 1000 ms")
