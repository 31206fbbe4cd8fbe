"""name searches estimated from a larger sample: PostgreSQL guesses how many rows `lower(name) LIKE '%…%'` matches
from the histogram of the trigram index's expression, 101 sampled names by default. One sampled name that happens
to contain the text makes a rare name look like 1 % of the table, and the desk then reads every case instead of
following the few it finds. 1,001 names bound such a guess ten times lower.

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TRIGRAM = ("ix_member_name_trgm", "ix_request_company_name_trgm", "ix_request_requester_name_trgm",
           "ix_trustee_name_trgm")


def _statistics(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRIGRAM:
        # -1: the server's default_statistics_target again
        op.execute(f"ALTER INDEX {name} ALTER COLUMN 1 SET STATISTICS {target}")


def upgrade() -> None:
    _statistics(1000)


def downgrade() -> None:
    _statistics(-1)
