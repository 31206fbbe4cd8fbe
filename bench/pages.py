"""Every GET page of the member portal and the staff desk at the fund's full size: 100,000 members, 300,000
logins, 200,000 cases (the desk benchmark's, bench.desk), 50,000 letters with their codes and 400,000 audit events.
The pages are found in the application's URL map; their parameters are filled with real ids; a member
administrator and a staff supervisor are logged in through the real two-step logins (Flask test client, in this
process: the time is the server's). Each page is asked N times; its p95 is printed, flagged when >= 50 ms, and
the slowest three are printed with the EXPLAIN ANALYZE plans of their slowest SQL statements (caught with a
SQLAlchemy `before_cursor_execute` event).

Rows are made with INSERT … SELECT generate_series in a scratch PostgreSQL database."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.services import scratch_database

MEMBERS = 100_000
LOGINS_PER_MEMBER = 3
LETTERS = 50_000
AUDIT_EVENTS = 400_000
LIMIT_MS = 50.0
BROKER_URL = "redis://127.0.0.1:6379/14"
STAFF_PASSWORD = "Aare-Ufer im Morgennebel"
MEMBER_PASSWORD = "Lärchenwald im Abendlicht"
# The desk's one search field, on its largest tab (closed cases): a name few cases carry, one that tens of
# thousands carry (more than core.desk.desk_queue.SEARCH_IDS_CAP) and a member number.
SEARCHES = {"a rare name": "company 4242", "a common name": "company 1", "a member number": "M4242"}
SKIPPED = {
    "/staff/login": "the login form: the benchmark's supervisor is logged in",
    "/staff/login/code": "the second step of the staff login",
    "/portal/profile/authenticator/new": "a step of setting up a new authenticator, reached by a POST",
    "/portal/profile/recovery-codes": "shows codes only right after the form that makes them (POST)",
}


def _load(url: str) -> dict[str, int]:
    """The desk's 200,000 cases and 40,000 members, then the rest of the members, three logins each, 50,000
    printed letters with their codes and 400,000 audit events spread over the members."""
    import psycopg

    from bench import desk

    desk._load(url)
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        now = desk.NOW
        conn.execute(
            "INSERT INTO member (id, member_number, uid, name, care_of, street, po_box, postcode, town, language, "
            "email, code_failures, created_at, updated_at) SELECT g, 'M' || g, 'CHE-100.155.212', 'Company ' || g, "
            "'', 'Hauptstrasse 1', '', '3000', 'Bern', 'de', '', 0, %(now)s, %(now)s "
            "FROM generate_series(%(first)s, %(n)s) AS g", {"now": now, "first": desk.MEMBERS + 1, "n": MEMBERS})
        conn.execute(
            "INSERT INTO login (member_id, name, email, mobile, language, password_hash, totp_secret, "
            "totp_last_step, rights, status, session_version, pending_totp_secret, created_at, activated_at, "
            "last_login_at) SELECT g %% %(m)s + 1, 'Person ' || g, 'p' || g || '@example.ch', '+41791234567', 'de', "
            "'', '', 0, '[\"salary_declarations\"]'::json, CASE WHEN g %% 10 = 0 THEN 'deactivated' ELSE 'active' "
            "END, 1, '', %(now)s - g * interval '1 minute', %(now)s - g * interval '1 minute', "
            "%(now)s - g * interval '10 seconds' FROM generate_series(1, %(n)s) AS g",
            {"now": now, "m": MEMBERS, "n": MEMBERS * LOGINS_PER_MEMBER})
        conn.execute(
            "INSERT INTO registration_code (id, member_id, purpose, status, issued_at, expires_on, code_hash, "
            "void_reason) SELECT g, g * 2 - 1, 'registration', 'issued', %(now)s - g * interval '1 minute', "
            "(%(now)s + interval '21 days')::date, md5(g::text), '' FROM generate_series(1, %(n)s) AS g",
            {"now": now, "n": LETTERS})
        conn.execute(
            "INSERT INTO letter (id, reference, member_id, kind, language, address, postcode, letter_date, code_id, "
            "status, pdf_path, created_at, rendered_at, printed_at) SELECT g, 'L-B' || g, g * 2 - 1, 'invitation', "
            "'de', '[\"Company\", \"Hauptstrasse 1\", \"3000 Bern\"]'::json, '3000', %(now)s::date, g, 'printed', "
            "'/dev/null', %(now)s - g * interval '1 minute', %(now)s, %(now)s FROM generate_series(1, %(n)s) AS g",
            {"now": now, "n": LETTERS})
        conn.execute(
            "INSERT INTO audit_event (at, actor, action, member_id, subject, detail, prev_hash, hash) "
            "SELECT %(now)s - g * interval '30 seconds', 'register-import', CASE WHEN g %% 3 = 0 THEN 'code.issued' "
            "ELSE 'login.signed_in' END, g %% %(m)s + 1, 'letter:' || g, '{}'::json, md5((g - 1)::text), "
            "md5(g::text) FROM generate_series(1, %(n)s) AS g", {"now": now, "m": MEMBERS, "n": AUDIT_EVENTS})
        for table in ("member", "request", "registration_code", "letter"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        counts = {}
        for table in ("member", "login", "staff_case", "letter", "audit_event"):
            conn.execute(f"VACUUM ANALYZE {table}")
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


@dataclass
class World:
    member: Any
    staff: Any
    values: dict[str, str] = field(default_factory=dict)


def _world() -> World:
    """A member administrator (member M7, with its three logins) and a staff supervisor, logged in; and a real
    value for every route parameter."""
    import pyotp
    from sqlalchemy import select

    from core import clock, db, secrets_box
    from core.desk import staff as staff_service
    from core.domain import rights, totp
    from core.models import Case, Login, Member, Request
    from web import create_app

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    now = clock.now()
    secret = totp.new_secret()
    with db.unit_of_work() as s:
        member = s.scalar(select(Member).where(Member.member_number == "M7"))
        assert member is not None
        admin = Login(member_id=member.id, name="Nina Sommer", email="nina@muster.ch", mobile="+41791234567",
                      language="en", password_hash=secrets_box.hash_password(MEMBER_PASSWORD),
                      totp_secret=secrets_box.encrypt(secret), totp_last_step=0, rights=list(rights.all_rights()),
                      status="active", session_version=1, created_at=now, activated_at=now)
        s.add(admin)
        s.flush()
        other = s.scalar(select(Login.id).where(Login.member_id == member.id, Login.id != admin.id))
        enrolment = staff_service.create(s, username="bench.super", name="Bench Supervisor", email="b@exfour.ch",
                                         role="supervisor", password=STAFF_PASSWORD, now=now, actor="bench")
        case_id = s.scalar(select(Case.id).where(Case.status == "open", Case.member_id.is_not(None))
                           .order_by(Case.id))
        reference = s.scalar(select(Request.reference).order_by(Request.id.desc()))
    member_client = app.test_client()
    member_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    first = member_client.post("/login", data={"member_number": "M7", "email": "nina@muster.ch",
                                                "password": MEMBER_PASSWORD})
    second = member_client.post("/login/second-step", data={"otp": pyotp.TOTP(secret).now()})
    if first.status_code != 303 or second.status_code != 303:
        raise RuntimeError("the benchmark's member login failed")
    staff_client = app.test_client()
    staff_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_client.post("/staff/login", data={"username": enrolment.username, "password": STAFF_PASSWORD})
    if staff_client.post("/staff/login/code", data={"otp": pyotp.TOTP(enrolment.secret).now()}).status_code != 303:
        raise RuntimeError("the benchmark's staff login failed")
    values = {"case_id": str(case_id), "login_id": str(other), "number": "M7", "reference": str(reference)}
    return World(member_client, staff_client, values)


def _routes(values: dict[str, str]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(rule, path) of every GET page under /portal and /staff with its parameters filled; the others with why."""
    from web import create_app

    app = create_app({"TESTING": True})
    pages, skipped = [], {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or set()) or not rule.rule.startswith(("/portal", "/staff")):
            continue
        if rule.rule in SKIPPED:
            skipped[rule.rule] = SKIPPED[rule.rule]
            continue
        missing = [name for name in rule.arguments if name not in values]
        if missing:
            skipped[rule.rule] = f"no {', '.join(missing)} in the benchmark's data"
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", values[name]).replace(f"<{name}>", values[name])
        pages.append((rule.rule, path))
    pages += [(f"/staff/ search: {label}", f"/staff/?{urlencode({'status': 'closed', 'q': text})}")
              for label, text in SEARCHES.items()]
    return pages, skipped


class Statements:
    """Every SQL statement run while `route` is being timed, with its parameters and duration."""

    def __init__(self) -> None:
        self.route = ""
        self.seen: dict[str, list[tuple[float, str, Any]]] = {}

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.route and not many:
            elapsed = (time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())) * 1000
            self.seen.setdefault(self.route, []).append((elapsed, statement, parameters))


def _time(pages: list[tuple[str, str]], world: World, repeats: int, statements: Statements) -> dict[str, Any]:
    timings: dict[str, Any] = {}
    for rule, path in pages:
        client = world.member if rule.startswith("/portal") else world.staff
        client.get(path)  # warm the caches of this page (templates, statements)
        statements.route = rule
        times, status = [], 0
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            status = response.status_code
        statements.route = ""
        timings[rule] = {"path": path, "status": status, "times": times}
    return timings


def _plans(url: str, statements: Statements, routes: list[str], per_route: int = 2) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of the slowest distinct statements of each route."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    plans: dict[str, list[str]] = {}
    try:
        with engine.connect() as conn:
            for route in routes:
                slowest: dict[str, tuple[float, Any]] = {}
                for elapsed, statement, parameters in statements.seen.get(route, []):
                    if statement.lstrip().upper().startswith("SELECT") and elapsed > slowest.get(statement, (0, 0))[0]:
                        slowest[statement] = (elapsed, parameters)
                ordered = sorted(slowest.items(), key=lambda item: -item[1][0])[:per_route]
                lines: list[str] = []
                for statement, (elapsed, parameters) in ordered:
                    lines.append(f"-- {elapsed:.1f} ms: {' '.join(statement.split())[:400]}")
                    plan = conn.exec_driver_sql(f"EXPLAIN ANALYZE {statement}", parameters or {}).scalars()
                    lines += [f"   {line}" for line in plan]
                plans[route] = lines
    finally:
        engine.dispose()
    return plans


def run(repeats: int = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, scratch_database("bo_bench_pages") as url:
        # The operations page counts the queues on the broker: Redis, as deployed (a database of its own, only read).
        os.environ.update(DATABASE_URL=url, VAR_DIR=tmp, BROKER_URL=BROKER_URL)
        from sqlalchemy import event

        from core import config, db

        config.reset()
        db.dispose()
        start = time.perf_counter()
        counts = _load(url)
        load_s = time.perf_counter() - start
        world = _world()
        pages, skipped = _routes(world.values)
        statements = Statements()
        engine = db.engine()
        event.listen(engine, "before_cursor_execute", statements.before)
        event.listen(engine, "after_cursor_execute", statements.after)
        timings = _time(pages, world, repeats, statements)
        event.remove(engine, "before_cursor_execute", statements.before)
        event.remove(engine, "after_cursor_execute", statements.after)
        slowest = sorted(timings, key=lambda rule: -_p95(timings[rule]["times"]))[:3]
        plans = _plans(url, statements, slowest)
        queries = {rule: len(statements.seen.get(rule, [])) // repeats for rule in timings}
        worst = {rule: max(((e, st) for e, st, _ in statements.seen[rule]), key=lambda item: item[0])
                 for rule in timings if statements.seen.get(rule)}
        db.dispose()
    return {"counts": counts, "load_s": load_s, "timings": timings, "skipped": skipped, "slowest": slowest,
            "plans": plans, "queries": queries, "worst": worst, "repeats": repeats}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def report(result: dict[str, Any]) -> None:
    counts = result["counts"]
    print(f"\n== every portal and desk page at size: {counts['member']:,} members, {counts['login']:,} logins, "
          f"{counts['staff_case']:,} cases, {counts['letter']:,} letters, {counts['audit_event']:,} audit events "
          f"(loaded in {result['load_s']:.0f} s); server time in ms over {result['repeats']} requests each ==")
    print(f"{'page':<52} {'status':>6} {'queries':>7} {'median':>7} {'p95':>7}  < {LIMIT_MS:.0f} ms")
    over = 0
    for rule, timing in result["timings"].items():
        p95 = _p95(timing["times"])
        over += p95 >= LIMIT_MS
        median = statistics.median(timing["times"])
        print(f"{rule:<52} {timing['status']:>6} {result['queries'][rule]:>7} {median:>7.1f} {p95:>7.1f}  "
              f"{'yes' if p95 < LIMIT_MS else 'NO  <-- slow'}")
    for rule, why in result["skipped"].items():
        print(f"{rule:<52} skipped: {why}")
    print(f"{len(result['timings'])} pages, {over} at or over {LIMIT_MS:.0f} ms p95")
    for rule, (elapsed, statement) in result["worst"].items():
        if _p95(result["timings"][rule]["times"]) >= LIMIT_MS:
            print(f"  {rule}: slowest statement {elapsed:.1f} ms: {' '.join(statement.split())[:300]}")
    for rule in result["slowest"]:
        timing = result["timings"][rule]
        print(f"\nslow page {rule} ({timing['path']}): p95 {_p95(timing['times']):.1f} ms; its slowest statements:")
        for line in result["plans"].get(rule, []):
            print("  " + line)
