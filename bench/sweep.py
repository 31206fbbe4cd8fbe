"""The deactivation sweep (R11) over 1,000,000 logins of which 1,000 are due, against the same sweep over a table
holding only those 1,000 due logins (and their 100 administrators). Both sweeps do the same work (1,000 logins
ended, 1,000 audit events, 1,000 e-mails to administrators); only the size of the table differs, so equal times
show that the cost follows the due logins, not all logins. A third run has 10,000 due among 1,000,000: ten times
the due logins, about ten times the work. Also printed: the claim's query plan, an idle sweep (nothing due) on the
big table, and the same claim with the partial index dropped, as the baseline it replaces.

Rows are made with INSERT … SELECT generate_series in a scratch PostgreSQL database."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.services import scratch_database

DUE_PER_MEMBER = 10  # due logins per member with due logins; each such member also has one administrator
PER_MEMBER = 10  # the other logins: one administrator and nine colleagues per member
# 10 March 2026, 10:00 in Zurich: logins whose last day was the 9th are due.
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
COLUMNS = ("member_id, name, email, mobile, language, password_hash, totp_secret, totp_last_step, rights, status, "
           "last_day, session_version, created_at")


def _members(conn: Any, first: int, count: int) -> None:
    conn.execute(
        "INSERT INTO member (id, member_number, uid, name, care_of, street, po_box, postcode, town, language, "
        "email, code_failures, created_at, updated_at) "
        "SELECT g, 'M' || g, 'CHE-100.155.212', 'Company ' || g, '', 'Hauptstrasse 1', '', '3000', 'Bern', 'de', "
        "'', 0, %(now)s, %(now)s FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g",
        {"now": NOW, "first": first, "last": first + count - 1})


def _due_part(conn: Any, due_members: int) -> None:
    """Members each with an administrator and 10 logins whose last working day was yesterday."""
    _members(conn, 1, due_members)
    yesterday = (NOW - timedelta(days=1)).date()
    per = DUE_PER_MEMBER + 1
    conn.execute(
        f"INSERT INTO login ({COLUMNS}) "
        "SELECT (g - 1) / %(per)s + 1, 'Person ' || g, 'p' || g || '@example.ch', '+41791234567', 'de', '', '', 0, "
        "CASE WHEN (g - 1) %% %(per)s = 0 THEN '[\"administration\"]'::json ELSE '[\"correspondence\"]'::json END, "
        "'active', CASE WHEN (g - 1) %% %(per)s = 0 THEN NULL ELSE %(yesterday)s::date END, 1, %(now)s "
        "FROM generate_series(1, %(n)s::bigint) AS g",
        {"per": per, "yesterday": yesterday, "now": NOW, "n": due_members * per})


def _background(conn: Any, logins: int, first_member: int) -> None:
    """Logins that are not due: most with no last day, 1 in 100 scheduled for next month (they sit in the partial
    index too), 1 in 20 deactivated long ago."""
    members = logins // PER_MEMBER
    _members(conn, first_member, members)
    next_month = (NOW + timedelta(days=30)).date()
    conn.execute(
        f"INSERT INTO login ({COLUMNS}) "
        "SELECT %(first_member)s + (g - 1) / %(per)s, 'Person b' || g, 'b' || g || '@example.ch', '+41791234567', "
        "'de', '', '', 0, "
        "CASE WHEN g %% %(per)s = 1 THEN '[\"administration\"]'::json ELSE '[\"correspondence\"]'::json END, "
        "CASE WHEN g %% 20 = 4 THEN 'deactivated' ELSE 'active' END, "
        "CASE WHEN g %% 100 = 7 THEN %(next_month)s::date END, 1, %(now)s "
        "FROM generate_series(1, %(n)s::bigint) AS g",
        {"first_member": first_member, "per": PER_MEMBER, "next_month": next_month, "now": NOW, "n": logins})


def _load(url: str, total: int, due_members: int) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        _due_part(conn, due_members)
        background = total - due_members * (DUE_PER_MEMBER + 1)
        if background > 0:
            _background(conn, background, due_members + 1)
        conn.execute("VACUUM ANALYZE login")
        conn.execute("VACUUM ANALYZE member")
        counted = conn.execute("SELECT count(*) FROM login").fetchone()
        return int(counted[0]) if counted else 0


def _reset_due(session: Any, ended: list[int]) -> None:
    """Put the swept logins back, and drop what the sweep wrote, for the next repetition."""
    from sqlalchemy import text

    session.execute(text("UPDATE login SET status = 'active', deactivated_at = NULL WHERE id = ANY(:ids)"),
                    {"ids": ended})
    session.execute(text("DELETE FROM outbox"))
    session.execute(text("DELETE FROM audit_event"))
    session.commit()


def _sweeps(repeats: int) -> dict[str, Any]:
    from sqlalchemy import text

    from core import db
    from core.logins import deactivation_sweep

    sweep_ms, claim_ms, ended_counts = [], [], []
    for _ in range(repeats):
        with db.unit_of_work() as s:  # the claim alone, rolled back
            start = time.perf_counter()
            s.execute(deactivation_sweep.due_logins_statement(NOW)).all()
            claim_ms.append((time.perf_counter() - start) * 1000)
            s.rollback()
        s = db.session()
        start = time.perf_counter()
        ended = deactivation_sweep.sweep(s, NOW)
        s.commit()
        sweep_ms.append((time.perf_counter() - start) * 1000)
        ended_counts.append(len(ended))
        _reset_due(s, ended)
        s.close()
    with db.unit_of_work() as s:
        plan = deactivation_sweep.explain(s, NOW, analyze=True)
        s.rollback()
        idle_start = time.perf_counter()
        s.execute(deactivation_sweep.due_logins_statement(NOW - timedelta(days=1))).all()  # nothing due yet
        idle_ms = (time.perf_counter() - idle_start) * 1000
        s.rollback()
        s.execute(text("DROP INDEX ix_login_due"))
        no_index_plan = deactivation_sweep.explain(s, NOW, analyze=True)
        s.rollback()  # the index comes back with the rollback
    return {"sweep_ms": statistics.median(sweep_ms), "claim_ms": statistics.median(claim_ms),
            "ended": ended_counts[0], "plan": plan, "idle_ms": idle_ms, "no_index_plan": no_index_plan}


def measure(total: int, due: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, scratch_database(f"bo_bench_sweep_{total}_{due}") as url:
        os.environ.update(DATABASE_URL=url, VAR_DIR=tmp)
        from core import config, db

        config.reset()
        db.dispose()
        start = time.perf_counter()
        logins = _load(url, total, due // DUE_PER_MEMBER)
        load_s = time.perf_counter() - start
        result = {"logins": logins, "load_s": load_s, **_sweeps(repeats)}
        db.dispose()
    return result


def run(total: int = 1_000_000, repeats: int = 5) -> list[dict[str, Any]]:
    small = 100 * (DUE_PER_MEMBER + 1)  # 1,000 due logins and their 100 administrators, nothing else
    return [measure(total, 1_000, repeats), measure(small, 1_000, repeats), measure(total, 10_000, 3)]


def _execution_ms(plan: list[str]) -> str:
    line = next((line for line in plan if line.startswith("Execution Time")), "")
    return line.split(":", 1)[-1].strip() if line else "?"


def report(results: list[dict[str, Any]]) -> None:
    big, small, more_due = results
    print("\nDeactivation sweep (R11): one UPDATE … RETURNING claims the due logins, then audit + e-mails")
    print(f"{'logins':>10} {'due':>6} {'sweep ms':>10} {'claim ms':>10} {'idle claim ms':>14} {'load s':>8}")
    for r in results:
        print(f"{r['logins']:>10,} {r['ended']:>6,} {r['sweep_ms']:>10.1f} {r['claim_ms']:>10.1f} "
              f"{r['idle_ms']:>14.2f} {r['load_s']:>8.1f}")
    print(f"sweep time, {big['logins']:,} logins against {small['logins']:,}: "
          f"{big['sweep_ms'] / small['sweep_ms']:.2f}x (table {big['logins'] / small['logins']:.0f}x larger, "
          "same 1,000 due)")
    print(f"sweep time, {more_due['ended']:,} due against {big['ended']:,} due in {big['logins']:,} logins: "
          f"{more_due['sweep_ms'] / big['sweep_ms']:.1f}x")
    print(f"\nQuery plan of the claim over {big['logins']:,} logins (EXPLAIN ANALYZE, rolled back):")
    for line in big["plan"]:
        print("  " + line)
    print(f"\nBaseline: the same claim with ix_login_due dropped: {_execution_ms(big['no_index_plan'])} "
          f"(with the index: {_execution_ms(big['plan'])})")
    for line in big["no_index_plan"]:
        print("  " + line)
