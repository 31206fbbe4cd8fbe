"""Migration 0008 on real PostgreSQL (R14): mandates made before it by a trustee's own registration with a fund
code become way (b); every mandate an administrator opened stays the member's own grant (way (a))."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from core import migrate
from tests.conftest import PG_HOST, PG_PORT

NAME = "bo_test_mandate_ways"


@pytest.fixture
def old_schema(pg_database: str) -> Iterator[str]:
    """Its own database at revision 0007, so the session's database is never taken back."""
    admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{NAME}"
    command.upgrade(migrate.alembic_config(url), "0007")
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


def test_r14_migration_makes_fund_code_mandates_way_b_and_administrators_grants_way_a(old_schema):
    engine = create_engine(old_schema)
    with engine.begin() as c:
        member = c.execute(text(
            "INSERT INTO member (member_number, uid, name, care_of, street, po_box, postcode, town, language, email,"
            " code_failures, created_at, updated_at) VALUES ('480100', 'CHE-100.155.212', 'Muster AG', '', "
            "'Marktgasse 5', '', '3011', 'Bern', 'de', '', 0, now(), now()) RETURNING id")).scalar_one()
        trustee = c.execute(text(
            "INSERT INTO trustee (uid, name, care_of, street, po_box, postcode, town, language, email, created_at)"
            " VALUES ('CHE-100.000.006', 'Fidu AG', '', 'Seestrasse 5', '', '8000', 'Zürich', 'de', '', now())"
            " RETURNING id")).scalar_one()
        logins = [c.execute(text(
            "INSERT INTO login (trustee_id, name, email, mobile, language, rights, status, created_at,"
            " session_version, totp_last_step, password_hash, totp_secret) VALUES (:t, :n, :e, '+41791230000', 'de',"
            " '[]', 'active', now(), 1, 0, '', '') RETURNING id"), {"t": trustee, "n": name, "e": f"{name}@fidu.ch"}
        ).scalar_one() for name in ("coded", "granted")]
        for login_id, actor in ((logins[0], f"login:{logins[0]}"), (logins[1], "login:999")):
            c.execute(text("INSERT INTO mandate (login_id, member_id, rights, status, created_at, created_by, "
                           "revoked_by) VALUES (:l, :m, '[\"correspondence\"]', 'active', now(), :a, '')"),
                      {"l": login_id, "m": member, "a": actor})
    migrate.upgrade(old_schema)
    with engine.connect() as c:
        ways = dict(c.execute(text("SELECT login_id, way FROM mandate")).tuples().all())
        assert ways == {logins[0]: "b", logins[1]: "a"}
        assert c.execute(text("SELECT count(*) FROM mandate WHERE valid_until IS NULL AND confirmed_by = ''"))\
            .scalar_one() == 2
    engine.dispose()
