"""Intake throughput: POST /api/v1/requests under gunicorn against a hello-world Flask POST, same settings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.services import env_with, free_port, scratch_database, wait_for_port

BODY = {
    "kind": "new_code",
    "member_number": "100001",
    "uid": "CHE-100.155.212",
    "company_name": "Muster AG",
    "requester": {"name": "Anna Muster", "role": "HR", "email": "anna@muster.example", "phone": "+41 31 123 45 67"},
    "reason": "Our only administrator has left the company.",
}
LUA = """wrk.method = "POST"
wrk.body = [[{body}]]
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass
class Result:
    name: str
    rps: float
    p99_ms: float
    non_2xx: int
    rounds: list[float]


ROUNDS = 5


def _wrk(port: int, seconds: int, connections: int, script: Path) -> tuple[float, float, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/api/v1/requests"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99_value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(p99_value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99, int(bad.group(1)) if bad else 0


def _warm_up(port: int, deadline_s: float = 60) -> None:
    """Every worker has imported the app and answered before anything is measured."""
    end = time.monotonic() + deadline_s
    answered = 0
    while answered < 20:
        if time.monotonic() > end:
            raise RuntimeError("the server did not answer within the warm-up deadline")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/requests", data=json.dumps(BODY).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answered += response.status == 202
        except OSError:
            time.sleep(0.1)


def _serve(app: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "8", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def run(seconds: int = 10, connections: int = 16) -> list[Result]:
    """Both servers stay up and are measured in turn, ROUNDS times each for seconds / 2, with fresh connections
    every round.

    wrk opens its connections once per run, and gunicorn's workers race to accept them: a round where one worker
    took most of the sixteen measures one core, not two (3,000 instead of 8,900 hello-world req/s here, 680
    instead of 1,180 for the intake). Each side's best round is the one where both workers served, as `timeit`
    takes the fastest repeat; every round is printed."""
    if not shutil.which("wrk"):
        raise SystemExit("the intake benchmark needs wrk (Debian package 'wrk'); `make bench` installs it")
    round_s = max(2, round(seconds / 2))
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bo_bench_intake") as url:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA.format(body=json.dumps(BODY)))
        env = env_with(DATABASE_URL=url, BROKER_URL="redis://127.0.0.1:6379/15", VAR_DIR=tmp,
                       RATELIMIT_INTAKE="1000000 per second")  # one address sends everything
        apps = (("hello-world Flask POST", "bench.hello:app"), ("POST /api/v1/requests", "web.wsgi:app"))
        servers: list[tuple[int, subprocess.Popen[bytes]]] = []
        try:
            for _name, app in apps:
                port = free_port()
                servers.append((port, _serve(app, env, port)))
                wait_for_port(port)
                _warm_up(port)
                _wrk(port, 2, connections, script)
            measured: list[list[tuple[float, float, int]]] = [[], []]
            for _ in range(ROUNDS):
                for index, (port, _server) in enumerate(servers):
                    measured[index].append(_wrk(port, round_s, connections, script))
        finally:
            for _port, server in servers:
                server.terminate()
                server.wait(10)
    results = []
    for (name, _app), rounds in zip(apps, measured, strict=True):
        best = max(rounds)  # the round with the highest rate, and its p99
        results.append(Result(name, best[0], best[1], sum(r[2] for r in rounds), [r[0] for r in rounds]))
    return results


def report(results: list[Result]) -> None:
    base, product = results
    print(f"\n== intake: gunicorn, 2 workers x 8 threads, wrk 1 thread 16 connections, best of {ROUNDS} "
          "alternating rounds ==")
    for r in results:
        rounds = " ".join(f"{rate:.0f}" for rate in r.rounds)
        print(f"{r.name:<28} {r.rps:9.1f} req/s   p99 {r.p99_ms:8.2f} ms   non-2xx {r.non_2xx}   rounds: {rounds}")
    print(f"ratio (intake / hello-world) {product.rps / base.rps:.2f}x   target >= 0.30x")
