"""letters by kind and moment: the operations page finds the last register import's invitation letters (the
newest moment of kind invitation, then that moment's letters by state) with two index reads instead of reading
every letter

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_letter_kind_created_at", "letter", ["kind", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_letter_kind_created_at", table_name="letter")
