"""Invitation letters for N members: import → codes → PDFs → print batch, against a bare ReportLab canvas loop
drawing the same N letters with the same content. Each N runs in a fresh process so its peak RSS is its own."""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.services import scratch_database


def _bare_baseline(register: Path, out_dir: Path) -> float:
    """The same letters drawn by a plain canvas loop and written one file each, as the pipeline writes them."""
    from bench.bare_canvas import bare_canvas_letter
    from core import config
    from core.codes.letters import funds
    from core.domain import codes
    from core.domain.addresses import PostalAddress
    from letters.compose import LetterData, build_spec

    senders = funds(config.get())
    today = date.today()
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with register.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            address = PostalAddress(row["name"], row["care_of"], row["street"], row["po_box"], row["postcode"],
                                    row["town"]).lines()
            data = LetterData("invitation", row["language"], address, today, today + timedelta(days=21),
                              f"L-BASE-{i:04d}", row["member_number"], codes.printed(codes.generate()))
            (out_dir / f"{i}.pdf").write_bytes(bare_canvas_letter(build_spec(senders[row["language"]], data)))
    return time.perf_counter() - start


def measure_one(n: int) -> dict[str, float]:
    """Runs in its own process: the pipeline through the real commands, then the baseline."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database(f"bo_bench_letters_{n}") as url:
        os.environ.update(DATABASE_URL=url, VAR_DIR=tmp)
        from core import config, db

        config.reset()
        db.dispose()
        from core.cli import main

        register = Path(tmp) / "members.csv"
        # Written by another process, so this process's peak RSS is the pipeline's own.
        subprocess.run([sys.executable, "-m", "bench.make_register", str(n), str(register)], check=True)
        rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        main(["members", "import", str(register)], standalone_mode=False)
        main(["letters", "render-pending"], standalone_mode=False)
        main(["letters", "batch"], standalone_mode=False)
        pipeline = time.perf_counter() - start
        with db.unit_of_work() as s:
            from sqlalchemy import func, select

            from core.models import Letter

            printed = s.scalar(select(func.count()).where(Letter.status == "printed"))
        db.dispose()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak of the pipeline, before the baseline
        baseline = _bare_baseline(register, Path(tmp) / "bare")
    return {"n": n, "printed": printed or 0, "pipeline_s": pipeline, "baseline_s": baseline, "rss_mb": rss_mb,
            "rss_before_mb": rss_before_mb}


def run(sizes: list[int]) -> list[dict[str, float]]:
    results = []
    for n in sizes:
        out = subprocess.run([sys.executable, "-m", "bench.letters_pipeline", str(n)], check=True,
                             capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def report(results: list[dict[str, float]]) -> None:
    print("\n== invitation letters: import → codes → PDFs → print batch (one process, PostgreSQL) ==")
    header = ("N", "printed", "pipeline letters/s", "bare canvas letters/s", "ratio", "peak RSS")
    print("{:>7} {:>8} {:>19} {:>22} {:>6} {:>9}".format(*header))
    for r in results:
        lps, base = r["n"] / r["pipeline_s"], r["n"] / r["baseline_s"]
        print(f"{r['n']:>7} {r['printed']:>8} {lps:>19.1f} {base:>22.1f} {lps / base:>5.2f}x {r['rss_mb']:>7.0f} MB")
    print("target: ratio >= 0.50x, peak RSS flat in N")


if __name__ == "__main__":
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = measure_one(int(sys.argv[1]))
    print(json.dumps(result))
