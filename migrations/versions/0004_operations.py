"""operations: heartbeats, parked tasks, the audit checkpoint, and the request id on outbox rows

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import core.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('beat','worker','job')", name=op.f("ck_heartbeat_kind")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeat")),
    )
    op.create_table(
        "parked_task",
        sa.Column("id", BigId, nullable=False),
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("task", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("ids", sa.JSON(), nullable=False),
        sa.Column("error_type", sa.String(length=100), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_at", core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=False),
        sa.Column("retry_key", sa.String(length=200), nullable=False),
        sa.CheckConstraint("status IN ('parked','retried','discarded')", name=op.f("ck_parked_task_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parked_task")),
        sa.UniqueConstraint("task_id", name=op.f("uq_parked_task_task_id")),
    )
    op.create_index("ix_parked_task_status_failed", "parked_task", ["status", "last_failed_at"], unique=False)
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", BigId, nullable=False),
        sa.Column("at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_event_id", BigId, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", BigId, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("request_id")
    op.drop_table("audit_checkpoint")
    op.drop_index("ix_parked_task_status_failed", table_name="parked_task")
    op.drop_table("parked_task")
    op.drop_table("heartbeat")
