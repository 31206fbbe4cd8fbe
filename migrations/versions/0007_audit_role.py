"""resilience: the application's database role, which may add audit events but never change or delete them

On PostgreSQL the web, worker and beat processes connect as a login role that is a member of `backoffice_app`
(see README, "Database roles"). That role may read and write every table, but on `audit_event` and
`audit_checkpoint` only SELECT and INSERT (R18: append-only). Retention removes old audit events through
`backoffice_audit_prune`, a SECURITY DEFINER function owned by the migrating role: it deletes only events older
than a year (whatever it is asked), never the newest one, and writes the checkpoint in the same statement.
SQLite has no roles: nothing to do there.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa  # noqa: F401

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APP_ROLE = "backoffice_app"
IMMUTABLE = ("audit_event", "audit_checkpoint")

# Roles belong to the whole cluster: several databases may be migrated at the same moment, so a role another
# migration has just created is no error.
CREATE_ROLE = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
"""

PRUNE = f"""
CREATE OR REPLACE FUNCTION backoffice_audit_prune(p_cutoff timestamptz, p_now timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_cutoff timestamptz := LEAST(p_cutoff, now() - interval '365 days');  -- R18: kept at least one year
  v_newest bigint;
  v_last bigint;
  v_first audit_event%ROWTYPE;
  v_removed integer;
BEGIN
  PERFORM pg_advisory_xact_lock({0x617564});  -- the audit chain's writers' lock (core.audit)
  SELECT max(id) INTO v_newest FROM audit_event;
  SELECT max(id) INTO v_last FROM audit_event WHERE at < v_cutoff AND id < v_newest;
  IF v_last IS NULL THEN
    RETURN 0;
  END IF;
  SELECT * INTO v_first FROM audit_event WHERE id > v_last ORDER BY id LIMIT 1;
  DELETE FROM audit_event WHERE id <= v_last;
  GET DIAGNOSTICS v_removed = ROW_COUNT;
  INSERT INTO audit_checkpoint (at, first_event_id, prev_hash, removed)
  VALUES (p_now, v_first.id, v_first.prev_hash, v_removed);
  RETURN v_removed;
END
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_ROLE)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    # Tables of later migrations are the application's too; the audit tables keep their narrower grant.
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {APP_ROLE}")
    for table in IMMUTABLE:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {APP_ROLE}")
    op.execute(PRUNE)
    op.execute("REVOKE ALL ON FUNCTION backoffice_audit_prune(timestamptz, timestamptz) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION backoffice_audit_prune(timestamptz, timestamptz) TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS backoffice_audit_prune(timestamptz, timestamptz)")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
