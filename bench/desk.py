"""The staff desk's queue with 200,000 cases (mixed kinds and states, two years of work) against an empty queue:
time to the first page (open cases, oldest first, with the counts per state) and to a filtered page (kind +
member + age), measured twice — calling the service (`desk.list_cases`) and asking the Flask view through its
test client in the same process (routing, login check, template) — with the EXPLAIN ANALYZE plans of the
queries. Both must stay under 100 ms of server time.

Rows are made with INSERT … SELECT generate_series in a scratch PostgreSQL database."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from bench.services import scratch_database

CASES = 200_000
MEMBERS = 40_000
LIMIT_MS = 100.0
NOW = datetime.now(UTC)  # the view reads the real clock for the age filter, so the data is laid out from now
# g % 20 picks the kind: mostly new-code requests and support, some of every other kind.
KIND_SQL = ("CASE WHEN g %% 20 < 8 THEN 'new_code' WHEN g %% 20 = 8 THEN 'code_exhausted' "
            "WHEN g %% 20 < 11 THEN 'trustee_code' WHEN g %% 20 = 11 THEN 'exceptional_registration' "
            "WHEN g %% 20 = 12 THEN 'stale_logins' WHEN g %% 20 < 16 THEN 'returned_mail' ELSE 'support' END")
OPEN_EVERY = 23  # one in 23 older cases is still open (a prime, so open cases fall on every kind)
# A member with an open support case older than a week: the filtered page has something to show.
_G = next(g for g in range(3000, CASES) if g % OPEN_EVERY == 0 and g % 20 >= 16)
FILTERED = {"kind": "support", "member": f"M{_G % MEMBERS + 1}", "age": "7"}
BY_KIND = {"kind": "support", "age": "7"}
PASSWORD = "Aare-Ufer im Morgennebel"


def _load(url: str) -> int:
    """Members, one request per case for the kinds that come from a request, and the cases: one every 5 minutes
    over two years; the last week's and one in 25 of the older ones are open, the rest decided."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO member (id, member_number, uid, name, care_of, street, po_box, postcode, town, language, "
            "email, code_failures, created_at, updated_at) SELECT g, 'M' || g, 'CHE-100.155.212', 'Company ' || g, "
            "'', 'Hauptstrasse 1', '', '3000', 'Bern', 'de', '', 0, %(now)s, %(now)s "
            "FROM generate_series(1, %(n)s) AS g", {"now": NOW, "n": MEMBERS})
        conn.execute(
            "INSERT INTO request (id, reference, kind, status, outcome, member_number, uid, company_name, "
            "requester_name, requester_role, requester_email, requester_phone, reason, administrators_cannot_help, "
            f"language, member_id, received_at, details) SELECT g, 'R-' || g, left({KIND_SQL}, 20), 'in_review', "
            "'staff_case', 'M' || (g %% %(m)s + 1), 'CHE-100.155.212', 'Company ' || (g %% %(m)s + 1), 'X', '', "
            "'x@example.ch', '', 'why', false, 'de', CASE WHEN g %% 10 < 7 THEN g %% %(m)s + 1 END, "
            "%(now)s - g * interval '5 minutes', '{}'::json FROM generate_series(1, %(n)s) AS g",
            {"now": NOW, "n": CASES, "m": MEMBERS})
        conn.execute(
            "INSERT INTO staff_case (kind, status, why, request_id, member_id, created_at, decided_at, "
            "decision_reason, payload) "
            f"SELECT {KIND_SQL}, CASE WHEN g < 2016 OR g %% %(every)s = 0 THEN 'open' WHEN g %% 4 < 2 THEN 'approved' "
            "WHEN g %% 4 = 2 THEN 'rejected' ELSE 'closed' END, 'why', "
            "CASE WHEN g %% 20 IN (8, 13, 14, 15) THEN NULL ELSE g END, "
            "CASE WHEN g %% 20 IN (8, 13, 14, 15) OR g %% 10 < 7 THEN g %% %(m)s + 1 END, "
            "%(now)s - g * interval '5 minutes', CASE WHEN g >= 2016 AND g %% %(every)s <> 0 THEN %(now)s END, '', "
            "'{}'::json FROM generate_series(1, %(n)s) AS g",
            {"now": NOW, "n": CASES, "m": MEMBERS, "every": OPEN_EVERY})
        conn.execute("VACUUM ANALYZE staff_case")
        conn.execute("VACUUM ANALYZE request")
        conn.execute("VACUUM ANALYZE member")
        counted = conn.execute("SELECT count(*) FROM staff_case").fetchone()
        return int(counted[0]) if counted else 0


PAGES = {"first": {}, "filtered": FILTERED, "kind + age": BY_KIND}


def _filters(args: dict[str, str]) -> Any:
    from core.desk import desk

    return desk.Filters.parse("open", args.get("kind"), args.get("member"), args.get("age"))


def _service_ms(args: dict[str, str], repeats: int) -> list[float]:
    from core import db
    from core.desk import desk

    times = []
    for _ in range(repeats):
        with db.unit_of_work() as s:
            start = time.perf_counter()
            desk.list_cases(s, _filters(args), now=NOW)
            times.append((time.perf_counter() - start) * 1000)
    return times


def _staff_client() -> Any:
    import pyotp

    from core import clock, db
    from core.desk import staff as staff_service
    from web import create_app

    with db.unit_of_work() as s:
        enrolment = staff_service.create(s, username="bench.clerk", name="Bench Clerk", email="bench@exfour.ch",
                                         role="clerk", password=PASSWORD, now=clock.now(), actor="bench")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/staff/login", data={"username": enrolment.username, "password": PASSWORD})
    answer = client.post("/staff/login/code", data={"otp": pyotp.TOTP(enrolment.secret).now()})
    if answer.status_code != 303:
        raise RuntimeError("the benchmark's staff login failed")
    return client


def _view_ms(client: Any, args: dict[str, str], repeats: int) -> list[float]:
    query = "?" + "&".join(f"{k}={v}" for k, v in args.items()) if args else ""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(f"/staff/{query}")
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the desk answered {response.status_code}")
    return times


def _plans() -> dict[str, list[str]]:
    from sqlalchemy import func, select, text

    from core import db
    from core.desk import desk
    from core.models import Case

    plans = {}
    with db.unit_of_work() as s:
        for name, args in PAGES.items():
            filters = _filters(args)
            query = desk.page_query(filters, desk.scope_of(s, filters, NOW), None, True, desk.PAGE_SIZE + 1)
            compiled = query.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
            plans[f"{name} page"] = list(s.scalars(text(f"EXPLAIN ANALYZE {compiled}")))
        capped = select(Case.status).where(Case.status == "rejected").limit(desk.COUNT_CAP + 1).subquery()
        compiled = select(func.count()).select_from(capped).compile(s.get_bind(),
                                                                    compile_kwargs={"literal_binds": True})
        plans["one count (rejected, capped)"] = list(s.scalars(text(f"EXPLAIN ANALYZE {compiled}")))
        member = desk.member_cases_query(FILTERED["member"]).compile(s.get_bind(),
                                                                      compile_kwargs={"literal_binds": True})
        plans["member filter: the member's case ids"] = list(s.scalars(text(f"EXPLAIN ANALYZE {member}")))
    return plans


def _timings(client: Any, repeats: int) -> dict[str, list[float]]:
    _service_ms({}, 3)  # warm the caches and the connection pool before timing
    _view_ms(client, {}, 3)
    timings = {}
    for name, args in PAGES.items():
        timings[f"service {name}"] = _service_ms(args, repeats)
        timings[f"view {name}"] = _view_ms(client, args, repeats)
    return timings


def run(repeats: int = 30) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bo_bench_desk") as url:
        os.environ.update(DATABASE_URL=url, VAR_DIR=tmp)
        from core import config, db

        config.reset()
        db.dispose()
        client = _staff_client()
        empty = _timings(client, repeats)
        start = time.perf_counter()
        cases = _load(url)
        load_s = time.perf_counter() - start
        full = _timings(client, repeats)
        plans = _plans()
        db.dispose()
    return {"cases": cases, "load_s": load_s, "empty": empty, "full": full, "plans": plans}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def report(result: dict[str, Any]) -> None:
    print(f"\nStaff desk queue: {result['cases']:,} cases against an empty queue "
          f"(loaded in {result['load_s']:.1f} s); server time in ms, median / p95")
    big = f"{result['cases']:,} cases"
    print(f"{'':<20} {'empty':>16} {big:>18} {'ratio':>7} {'< 100 ms':>9}")
    for name in result["full"]:
        empty, full = result["empty"][name], result["full"][name]
        ok = _p95(full) < LIMIT_MS
        print(f"{name:<20} {statistics.median(empty):>7.1f} / {_p95(empty):>6.1f} "
              f"{statistics.median(full):>9.1f} / {_p95(full):>6.1f} "
              f"{statistics.median(full) / statistics.median(empty):>6.2f}x {'yes' if ok else 'NO':>9}")
    print(f"first: open cases, oldest first; filtered: kind={FILTERED['kind']}, member={FILTERED['member']}, "
          f"older than {FILTERED['age']} days; kind + age: the same without the member")
    for name, plan in result["plans"].items():
        print(f"\nQuery plan, {name} (EXPLAIN ANALYZE over {result['cases']:,} cases):")
        for line in plan:
            print("  " + line)
