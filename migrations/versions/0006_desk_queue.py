"""the desk: an index for the queue filtered by kind, and when each staff member was last told of open cases

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

import core.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- desk: queue by kind, staff notices ---
    op.create_index("ix_staff_case_status_kind_created", "staff_case", ["status", "kind", "created_at"], unique=False)
    op.create_table(
        "staff_notice",
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sent_at", core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("told_up_to", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_user.id"], name=op.f("fk_staff_notice_staff_id_staff_user")),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_notice")),
    )


def downgrade() -> None:
    # --- desk ---
    op.drop_table("staff_notice")
    op.drop_index("ix_staff_case_status_kind_created", table_name="staff_case")
