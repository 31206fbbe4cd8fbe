"""staff search: one field finds cases and powers of attorney by reference, member number, UID or part of a name

Names are searched case-insensitively anywhere in the text, which a B-tree index cannot serve; on PostgreSQL a
trigram index (pg_trgm, a trusted extension that the database owner may create) over the lower-cased name does.
UIDs get plain indexes on both dialects. SQLite (`make run`) scans its few rows.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (index, table, column): each name searched with lower(column) LIKE '%…%'.
TRIGRAM = (("ix_member_name_trgm", "member", "name"),
           ("ix_request_company_name_trgm", "request", "company_name"),
           ("ix_request_requester_name_trgm", "request", "requester_name"),
           ("ix_trustee_name_trgm", "trustee", "name"))


def upgrade() -> None:
    op.create_index("ix_member_uid", "member", ["uid"], unique=False)
    op.create_index("ix_request_uid", "request", ["uid"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        op.create_index(name, table, [sa.text(f"lower({column}) gin_trgm_ops")], unique=False,
                        postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _ in TRIGRAM:
            op.drop_index(name, table_name=table)
    op.drop_index("ix_request_uid", table_name="request")
    op.drop_index("ix_member_uid", table_name="member")
