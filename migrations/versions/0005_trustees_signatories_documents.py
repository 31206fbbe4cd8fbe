"""trustees signatories documents and case payloads

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import core.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('uploaded_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    op.create_table('trustee',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uid', sa.String(length=15), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('care_of', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('po_box', sa.String(length=100), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('town', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IN ('de','fr','it','en')", name=op.f('ck_trustee_language')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trustee')),
    sa.UniqueConstraint('uid', name=op.f('uq_trustee_uid'))
    )
    op.create_table('mandate',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('login_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rights', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('revoked_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=100), nullable=False),
    sa.CheckConstraint("status IN ('active','revoked')", name=op.f('ck_mandate_status')),
    sa.ForeignKeyConstraint(['login_id'], ['login.id'], name=op.f('fk_mandate_login_id_login')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_mandate_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandate'))
    )
    op.create_index(op.f('ix_mandate_login_id'), 'mandate', ['login_id'], unique=False)
    op.create_index(op.f('ix_mandate_member_id'), 'mandate', ['member_id'], unique=False)
    op.create_index('uq_mandate_login_member_active', 'mandate', ['login_id', 'member_id'], unique=True, postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))
    op.create_table('power_of_attorney',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('trustee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=100), nullable=False),
    sa.Column('revocation_note', sa.Text(), nullable=False),
    sa.Column('reminded_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name=op.f('ck_power_of_attorney_dates')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_power_of_attorney_document_id_document')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_power_of_attorney_member_id_member')),
    sa.ForeignKeyConstraint(['trustee_id'], ['trustee.id'], name=op.f('fk_power_of_attorney_trustee_id_trustee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_of_attorney'))
    )
    op.create_index(op.f('ix_power_of_attorney_member_id'), 'power_of_attorney', ['member_id'], unique=False)
    op.create_index('ix_power_of_attorney_member_trustee', 'power_of_attorney', ['member_id', 'trustee_id'], unique=False)
    op.create_index(op.f('ix_power_of_attorney_trustee_id'), 'power_of_attorney', ['trustee_id'], unique=False)
    op.create_table('signatory',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('function', sa.String(length=200), nullable=False),
    sa.Column('authority', sa.String(length=30), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('extract_date', sa.Date(), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("authority IN ('sole','collective_two','sole_procuration','collective_procuration','none')", name=op.f('ck_signatory_authority')),
    sa.CheckConstraint('valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from', name=op.f('ck_signatory_dates')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_signatory_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatory'))
    )
    op.create_index(op.f('ix_signatory_member_id'), 'signatory', ['member_id'], unique=False)
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    # Batch mode, so SQLite (the embedded default) rebuilds the tables it cannot alter in place.
    with op.batch_alter_table("letter") as batch:
        batch.add_column(sa.Column("trustee_id", big, nullable=True))
        batch.add_column(sa.Column("returned_at", core.models.UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f("fk_letter_trustee_id_trustee"), "trustee", ["trustee_id"], ["id"])
    with op.batch_alter_table("login") as batch:
        batch.add_column(sa.Column("trustee_id", big, nullable=True))
        batch.alter_column("member_id", existing_type=big, nullable=True)
        batch.create_index(op.f("ix_login_trustee_id"), ["trustee_id"], unique=False)
        batch.create_foreign_key(op.f("fk_login_trustee_id_trustee"), "trustee", ["trustee_id"], ["id"])
        batch.create_check_constraint(op.f("ck_login_owner"), "(member_id IS NULL) <> (trustee_id IS NULL)")
    with op.batch_alter_table("registration_code") as batch:
        batch.add_column(sa.Column("trustee_id", big, nullable=True))
        batch.add_column(sa.Column("login_id", big, nullable=True))
        batch.create_foreign_key(op.f("fk_registration_code_trustee_id_trustee"), "trustee", ["trustee_id"], ["id"])
        batch.create_foreign_key(op.f("fk_registration_code_login_id_login"), "login", ["login_id"], ["id"])
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("document_id", big, nullable=True))
        batch.create_foreign_key(op.f("fk_request_document_id_document"), "document", ["document_id"], ["id"])
    with op.batch_alter_table("staff_case") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("document_id", big, nullable=True))
        batch.add_column(sa.Column("recorded_by", big, nullable=True))
        batch.create_foreign_key(op.f("fk_staff_case_document_id_document"), "document", ["document_id"], ["id"])
        batch.create_foreign_key(op.f("fk_staff_case_recorded_by_staff_user"), "staff_user", ["recorded_by"], ["id"])
        batch.drop_constraint(op.f("ck_staff_case_status"), type_="check")
        batch.create_check_constraint(op.f("ck_staff_case_status"), "status IN ('open','approved','rejected','closed')")


def downgrade() -> None:
    with op.batch_alter_table("staff_case") as batch:
        batch.drop_constraint(op.f("ck_staff_case_status"), type_="check")
        batch.create_check_constraint(op.f("ck_staff_case_status"), "status IN ('open','approved','rejected')")
        batch.drop_constraint(op.f("fk_staff_case_recorded_by_staff_user"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_staff_case_document_id_document"), type_="foreignkey")
        batch.drop_column("recorded_by")
        batch.drop_column("document_id")
        batch.drop_column("payload")
    with op.batch_alter_table("request") as batch:
        batch.drop_constraint(op.f("fk_request_document_id_document"), type_="foreignkey")
        batch.drop_column("document_id")
        batch.drop_column("details")
    with op.batch_alter_table("registration_code") as batch:
        batch.drop_constraint(op.f("fk_registration_code_login_id_login"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_registration_code_trustee_id_trustee"), type_="foreignkey")
        batch.drop_column("login_id")
        batch.drop_column("trustee_id")
    with op.batch_alter_table("login") as batch:
        batch.drop_constraint(op.f("ck_login_owner"), type_="check")
        batch.drop_constraint(op.f("fk_login_trustee_id_trustee"), type_="foreignkey")
        batch.drop_index(op.f("ix_login_trustee_id"))
        batch.alter_column("member_id", existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                           nullable=False)
        batch.drop_column("trustee_id")
    with op.batch_alter_table("letter") as batch:
        batch.drop_constraint(op.f("fk_letter_trustee_id_trustee"), type_="foreignkey")
        batch.drop_column("returned_at")
        batch.drop_column("trustee_id")
    op.drop_index(op.f('ix_signatory_member_id'), table_name='signatory')
    op.drop_table('signatory')
    op.drop_index(op.f('ix_power_of_attorney_trustee_id'), table_name='power_of_attorney')
    op.drop_index('ix_power_of_attorney_member_trustee', table_name='power_of_attorney')
    op.drop_index(op.f('ix_power_of_attorney_member_id'), table_name='power_of_attorney')
    op.drop_table('power_of_attorney')
    op.drop_index('uq_mandate_login_member_active', table_name='mandate', postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))
    op.drop_index(op.f('ix_mandate_member_id'), table_name='mandate')
    op.drop_index(op.f('ix_mandate_login_id'), table_name='mandate')
    op.drop_table('mandate')
    op.drop_table('trustee')
    op.drop_table('document')
