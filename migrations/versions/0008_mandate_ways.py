"""trustees: a mandate's way (R14) and the end date an administrator may set (R13)

Way (a): the member's administrator opened the access (or confirmed it), so it works within its rights whatever
the fund has on record. Way (b): it came from a code the fund sent to the trustee on a power of attorney (R15)
and works only while a power of attorney is current. Mandates made so far by a trustee code were made by the
trustee's own login (created_by = 'login:<its id>'): those are way (b); every other one was opened by an
administrator.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

import core.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mandate") as batch:
        batch.add_column(sa.Column("way", sa.String(length=1), server_default="a", nullable=False))
        batch.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", core.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.String(length=100), server_default="", nullable=False))
        batch.create_check_constraint(op.f("ck_mandate_way"), "way IN ('a','b')")
    op.execute("UPDATE mandate SET way = 'b' WHERE created_by = 'login:' || CAST(login_id AS VARCHAR(20))")


def downgrade() -> None:
    with op.batch_alter_table("mandate") as batch:
        batch.drop_constraint(op.f("ck_mandate_way"), type_="check")
        batch.drop_column("confirmed_by")
        batch.drop_column("confirmed_at")
        batch.drop_column("valid_until")
        batch.drop_column("way")
