"""portal second factor and sessions: SMS one-time codes, recovery codes, a pending authenticator

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import core.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('sent_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active','used','replaced','void')", name=op.f('ck_sms_code_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_code'))
    )
    op.create_index('ix_sms_code_subject_purpose_sent', 'sms_code', ['subject', 'purpose', 'sent_at'], unique=False)
    op.create_table('recovery_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('login_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['login_id'], ['login.id'], name=op.f('fk_recovery_code_login_id_login')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_code_code_hash'))
    )
    op.create_index(op.f('ix_recovery_code_login_id'), 'recovery_code', ['login_id'], unique=False)
    with op.batch_alter_table('login') as batch:
        batch.add_column(sa.Column('pending_totp_secret', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('login') as batch:
        batch.drop_column('pending_totp_secret')
    op.drop_index(op.f('ix_recovery_code_login_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_index('ix_sms_code_subject_purpose_sent', table_name='sms_code')
    op.drop_table('sms_code')
