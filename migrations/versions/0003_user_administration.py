"""user administration: invitations, when a login was deactivated, and the index of due deactivations

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import core.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DUE = "status = 'active' AND last_day IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("login_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", core.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending','used','replaced','cancelled')", name=op.f("ck_invitation_status")),
        sa.ForeignKeyConstraint(["login_id"], ["login.id"], name=op.f("fk_invitation_login_id_login")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_invitation_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    op.create_index(op.f("ix_invitation_login_id"), "invitation", ["login_id"], unique=False)
    op.create_index(op.f("ix_invitation_member_id"), "invitation", ["member_id"], unique=False)
    with op.batch_alter_table("login") as batch:
        batch.add_column(sa.Column("deactivated_at", core.models.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_login_due", "login", ["last_day"], unique=False,
                    postgresql_where=sa.text(DUE), sqlite_where=sa.text(DUE))


def downgrade() -> None:
    op.drop_index("ix_login_due", table_name="login")
    with op.batch_alter_table("login") as batch:
        batch.drop_column("deactivated_at")
    op.drop_index(op.f("ix_invitation_member_id"), table_name="invitation")
    op.drop_index(op.f("ix_invitation_login_id"), table_name="invitation")
    op.drop_table("invitation")
