"""/healthz and /readyz: the process is up; the database, its schema, the broker, beat and the workers answer.
The servers are not stopped: the app is pointed at a port where nothing listens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from core import db
from tests.integration.ops_support import NOWHERE_PORT, environment, everything_alive, heartbeat
from tests.integration.staff_support import make_app


def _ready() -> tuple[int, dict]:
    response = make_app().test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_healthz_answers_even_when_the_database_does_not(pg, monkeypatch):
    with environment(monkeypatch, DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{NOWHERE_PORT}/none"):
        response = make_app().test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_every_part_answers(pg):
    everything_alive()
    status, body = _ready()
    assert status == 200, body
    assert body["failing"] == [] and set(body["checks"]) == {"database", "migrations", "broker", "beat", "worker"}


def test_readyz_names_the_database_when_it_does_not_answer(pg, monkeypatch):
    everything_alive()
    with environment(monkeypatch, DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{NOWHERE_PORT}/none"):
        status, body = _ready()
    assert status == 503
    assert body["failing"] == ["database"] and body["checks"]["broker"] == "ok"


def test_readyz_names_the_broker_when_redis_does_not_answer(pg, monkeypatch):
    everything_alive()
    with environment(monkeypatch, BROKER_URL=f"redis://127.0.0.1:{NOWHERE_PORT}/0"):
        status, body = _ready()
    assert status == 503
    assert body["failing"] == ["broker"] and body["checks"]["database"] == "ok"


def test_readyz_says_when_beat_has_not_run_for_5_minutes(pg):
    heartbeat("beat", "beat", age=timedelta(minutes=6))
    heartbeat("worker", "worker:test-host")
    status, body = _ready()
    assert status == 503 and body["failing"] == ["beat"]
    assert "6 minutes" in body["checks"]["beat"]


def test_readyz_is_ready_with_a_beat_heartbeat_under_5_minutes(pg):
    heartbeat("beat", "beat", age=timedelta(minutes=4, seconds=50))
    heartbeat("worker", "worker:test-host")
    assert _ready()[0] == 200


def test_readyz_names_the_workers_when_none_has_reported(pg):
    heartbeat("beat", "beat")
    status, body = _ready()
    assert status == 503 and body["failing"] == ["worker"]


def test_readyz_names_migrations_when_the_schema_is_behind(pg):
    everything_alive()
    with db.engine().begin() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    try:
        status, body = _ready()
    finally:
        with db.engine().begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert status == 503 and body["failing"] == ["migrations"]
    assert "0003" in body["checks"]["migrations"]


def test_every_response_carries_a_request_id_and_keeps_a_sane_one_given(pg):
    client = make_app().test_client()
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a-0001"})
    assert given.headers["X-Request-ID"] == "proxy-7f3a-0001"
    hostile = client.get("/healthz", headers={"X-Request-ID": 'x" injected=1 <script>'})
    assert hostile.headers["X-Request-ID"] != 'x" injected=1 <script>'
    assert len(hostile.headers["X-Request-ID"]) == 32


def test_metrics_and_readiness_details_need_the_operations_token(pg, monkeypatch):
    from core import config

    monkeypatch.setenv("OPS_TOKEN", "a-long-random-operations-token-0123456789")
    config.reset()
    try:
        client = make_app().test_client()
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        scraped = client.get("/metrics", headers={"Authorization": "Bearer a-long-random-operations-token-0123456789"})
        assert scraped.status_code == 200 and b"# HELP" in scraped.data
        public = client.get("/readyz").get_json()
        assert set(public) == {"status"}, "anyone sees only whether it is ready"
        detailed = client.get("/readyz", headers={"Authorization": "Bearer a-long-random-operations-token-0123456789"})
        assert "checks" in detailed.get_json()
        assert client.get("/healthz").status_code == 200
    finally:
        monkeypatch.undo()
        config.reset()
