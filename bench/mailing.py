"""The go-live mailing through the path a deployment takes: `backoffice members import` writes members, codes,
letters and outbox rows; the outbox relay hands the render tasks to Celery on Redis; real `celery -A worker.app
worker` processes draw the codes and render the PDFs; `backoffice letters batch` makes the print files. Timed from
the start of the import to the last print batch, with 1 and with 2 worker processes, against a bare ReportLab
canvas loop drawing the same letters in one process in the same run (bench.bare_canvas), measured just before
and just after each configuration.

Each configuration gets a fresh PostgreSQL database and a private redis-server (no other worker takes its tasks).
The peak RSS of every worker process (Celery's main process and its pool process) is read from /proc (VmHWM)
before it stops. Afterwards the effect-once check of the fault tests runs on the output (bench.effect_once)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.services import free_port, scratch_database, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
# (worker processes, pool processes each): one pool process per core on this 2-core machine in total.
CONFIGS = [(1, 1), (2, 1)]
RELAY_EVERY_S = 0.5  # beat runs the relay every 2 s, and commits nudge it; the benchmark does both with this tick
GOAL = 0.9
BASELINE_LETTERS = 2000  # letters per baseline measurement: its rate per letter does not depend on N


@contextmanager
def private_redis() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tempfile.gettempdir()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def _env(url: str, broker: str, var: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=url, BROKER_URL=broker, VAR_DIR=var, PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING")
    env.pop("BACKOFFICE_CLOCK_FILE", None)
    return env


def _start_worker(name: str, concurrency: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO",
            "--concurrency", str(concurrency), "--hostname", f"{name}-{os.getpid()}@%h", "--without-gossip",
            "--without-mingle"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    end = time.monotonic() + 90
    while b"ready" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > end:
            raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return proc


def _tree(pid: int) -> list[int]:
    """The process and its children (Celery's pool processes), from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo += [int(c) for c in children]
    return found


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


ANY_PENDING = "SELECT 1 FROM letter WHERE status = 'pending' LIMIT 1"


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def _count(url: str, sql: str) -> int:
    with _connect(url) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


def _relay_loop(stop: threading.Event) -> None:
    from worker.tasks.outbox import relay

    while not stop.is_set():
        relay()
        stop.wait(RELAY_EVERY_S)


def _mailing(n: int, workers: int, concurrency: int, register: Path, broker: str, tmp: Path) -> dict[str, Any]:
    """One configuration in a fresh database: import → relay → workers → print batch, timed as a whole."""
    from core import config, db

    var = tmp / f"var-{workers}x{concurrency}"
    var.mkdir()
    with scratch_database(f"bo_bench_mailing_{n}_{workers}x{concurrency}") as url:
        env = _env(url, broker, str(var))
        os.environ.update(DATABASE_URL=url, VAR_DIR=str(var))
        config.reset()
        db.dispose()
        procs = [_start_worker(f"mail{i}", concurrency, env, var / f"worker{i}.log") for i in range(workers)]
        stop = threading.Event()
        relay = threading.Thread(target=_relay_loop, args=(stop,), daemon=True)
        try:
            start = time.perf_counter()
            relay.start()
            cli = [sys.executable, "-m", "core.cli"]
            subprocess.run([*cli, "members", "import", str(register)], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            imported = time.perf_counter() - start
            deadline = time.monotonic() + 60 + n / 20
            # One connection and a question the status index answers at once: a new connection and a count of
            # every pending letter twenty times a second took CPU from the workers being measured.
            with _connect(url) as watch:
                while watch.execute(ANY_PENDING).fetchone():
                    if time.monotonic() > deadline:
                        raise RuntimeError("the workers did not render every letter in time")
                    time.sleep(0.05)
            rendered = time.perf_counter() - start
            subprocess.run([*cli, "letters", "batch"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            stop.set()
            relay.join(30)
            rss = [[_peak_rss_mb(pid) for pid in _tree(proc.pid)] for proc in procs]
        finally:
            stop.set()
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
        from bench import effect_once

        with db.unit_of_work() as s:
            once = effect_once.check(s, config.get().letters_dir, n, samples=100)
        printed = _count(url, "SELECT count(*) FROM letter WHERE status = 'printed'")
        db.dispose()
    return {"workers": workers, "concurrency": concurrency, "seconds": elapsed, "import_s": imported,
            "rendered_s": rendered, "printed": printed, "rss": rss, "once": once}


def _bare_rate(register: Path, out: Path) -> float:
    """Letters per second of the bare canvas loop over the first BASELINE_LETTERS members of `register`."""
    from bench.letters_pipeline import _bare_baseline

    sample = out.with_suffix(".csv")
    with register.open(encoding="utf-8") as source, sample.open("w", encoding="utf-8") as target:
        for i, line in enumerate(source):
            if i > BASELINE_LETTERS:
                break
            target.write(line)
    letters = min(BASELINE_LETTERS, sum(1 for _ in sample.open(encoding="utf-8")) - 1)
    return letters / _bare_baseline(sample, out)


def run(sizes: list[int]) -> list[dict[str, Any]]:
    """Each configuration is bracketed by a baseline measurement (before it, and one after the last): on a shared
    machine the load moves over a run of many minutes, and the ratio compares like with like."""
    from bench.make_register import write_register

    results = []
    with tempfile.TemporaryDirectory() as tmp_name, private_redis() as broker:
        tmp = Path(tmp_name)
        os.environ.update(BROKER_URL=broker)
        for n in sizes:
            register = tmp / f"members-{n}.csv"
            write_register(n, register)
            (tmp / f"n{n}").mkdir()
            rates = [_bare_rate(register, tmp / f"bare-{n}-0")]
            runs = []
            for i, (w, c) in enumerate(CONFIGS, start=1):
                runs.append(_mailing(n, w, c, register, broker, tmp / f"n{n}"))
                rates.append(_bare_rate(register, tmp / f"bare-{n}-{i}"))
            for i, mailing in enumerate(runs):
                mailing["baseline_rate"] = (rates[i] + rates[i + 1]) / 2
            results.append({"n": n, "baseline_rates": rates, "runs": runs})
    return results


def report(results: list[dict[str, Any]]) -> None:
    print("\n== go-live mailing through the real path: import → outbox → relay → Celery workers on Redis → print "
          "batch (PostgreSQL) ==")
    print(f"{'N':>7} {'workers':>12} {'printed':>8} {'seconds':>8} {'letters/s':>10} {'bare canvas/s':>14} "
          f"{'ratio':>6} {'peak RSS per worker process (main / pool)':>44}  effect-once")
    for r in results:
        for m in r["runs"]:
            base = m["baseline_rate"]
            lps = r["n"] / m["seconds"]
            rss = ", ".join(" / ".join(f"{mb:.0f}" for mb in tree) for tree in m["rss"])
            once = m["once"]
            verdict = (f"ok ({once.letters} letters, {once.pdfs} PDFs, {once.sampled} codes read back)" if once.ok
                       else f"FAILED lost={once.lost} duplicated={once.duplicated} pdfs={once.pdfs} "
                            f"mismatched={once.mismatched[:5]}")
            label = f"{m['workers']} x c{m['concurrency']}"
            print(f"{r['n']:>7} {label:>12} {m['printed']:>8} {m['seconds']:>8.1f} {lps:>10.1f} {base:>14.1f} "
                  f"{lps / base:>5.2f}x {rss + ' MB':>44}  {verdict}")
            print(f"{'':>7} {'':>12} import done at {m['import_s']:.1f} s, last letter rendered at "
                  f"{m['rendered_s']:.1f} s, print batches done at {m['seconds']:.1f} s")
    for r in results:
        print(f"bare canvas letters/s measured before, between and after the configurations for N={r['n']}: "
              + ", ".join(f"{rate:.1f}" for rate in r["baseline_rates"]) + " (each run's ratio uses the two around it)")
    print(f"workers: worker processes x pool processes each; goal: 2 workers >= {GOAL:.1f}x the single-process "
          "bare canvas rate, peak RSS per worker flat in N")
