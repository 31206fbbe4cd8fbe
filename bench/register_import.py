"""Register import on PostgreSQL: `python -m bench.register_import [N]` (default 50,000 members).

Prints, from one run in a throwaway database: checking the file, the first import (members, codes, invitation
letters, outbox and audit rows) and a second import of the same file (nothing changes, nothing is queued).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.make_register import write_register
from bench.services import scratch_database


def _timed(label: str, rows: int, action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{label:<32} {seconds:7.2f} s  {rows / seconds:8.0f} rows/s")
    return result


def run(count: int) -> None:
    from core import clock, config, db
    from core.domain.register import validate_rows
    from core.members import members

    with tempfile.TemporaryDirectory() as tmp, scratch_database("bo_bench_register") as url:
        os.environ.update(DATABASE_URL=url, VAR_DIR=tmp)
        config.reset()
        db.dispose()
        path = Path(tmp) / "register.csv"
        write_register(count, path)

        def check():  # type: ignore[no-untyped-def]
            with path.open("rb") as raw:
                return validate_rows(raw)

        rows, errors = _timed(f"check {count} rows", count, check)
        assert not errors
        first = _timed("first import + invitations", count,
                       lambda: members.import_register(db.unit_of_work, rows, clock.now()))
        again = _timed("same file again", count, lambda: members.import_register(db.unit_of_work, rows, clock.now()))
        assert first.invitations == count and again.invitations == 0, (first, again)
        db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
