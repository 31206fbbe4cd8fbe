"""The database: SQLAlchemy 2 typed models. Constraints carry the invariants; times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.domain.states import (
    CaseStatus,
    CodeStatus,
    InvitationStatus,
    LetterStatus,
    LoginStatus,
    MandateStatus,
    ParkedStatus,
    RequestStatus,
    SmsCodeStatus,
    one_of,
)
from core.observability import current_request_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no BIGSERIAL; an INTEGER PRIMARY KEY is its rowid and grows on its own.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON, int: BigId}


class Member(Base):
    __tablename__ = "member"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(String(20), unique=True)
    uid: Mapped[str] = mapped_column(String(15))
    name: Mapped[str] = mapped_column(String(200))
    care_of: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    po_box: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    email: Mapped[str] = mapped_column(String(254), default="")
    # R3: wrong codes entered in all; a new code does not reset it, a staff decision does.
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Staff search (core.services.search): by UID here, by name through a trigram index made by migration 0009.
    __table_args__ = (CheckConstraint("language IN ('de','fr','it','en')", name="language"),
                      Index("ix_member_uid", "uid"))


class Login(Base):
    """One person's access to connect for one member."""

    __tablename__ = "login"
    id: Mapped[int] = mapped_column(primary_key=True)
    # A member's own login has member_id; a trustee's login has trustee_id and reaches members via mandates (R13).
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    trustee_id: Mapped[int | None] = mapped_column(ForeignKey("trustee.id"), default=None, index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(2))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    totp_secret: Mapped[str] = mapped_column(Text, default="")  # Fernet-encrypted
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)  # R8: no code accepted twice
    rights: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default=LoginStatus.PENDING)
    last_day: Mapped[date | None] = mapped_column(Date, default=None)  # R11
    session_version: Mapped[int] = mapped_column(Integer, default=1)  # bump to end every session
    # A new authenticator being set up from the profile (Fernet-encrypted); replaces totp_secret once confirmed.
    pending_totp_secret: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    registration_code_id: Mapped[int | None] = mapped_column(ForeignKey("registration_code.id"), default=None)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)

    member: Mapped[Member | None] = relationship()

    __table_args__ = (
        CheckConstraint(one_of(LoginStatus), name="status"),
        CheckConstraint("(member_id IS NULL) <> (trustee_id IS NULL)", name="owner"),
        Index("ix_login_email", "email"),
        # R11: the deactivation sweep reads only the logins that are due, never all of them.
        Index("ix_login_due", "last_day", postgresql_where=text("status = 'active' AND last_day IS NOT NULL"),
              sqlite_where=text("status = 'active' AND last_day IS NOT NULL")),
    )


class Invitation(Base):
    """An e-mailed link for a login an administrator created: single use, 72 hours, only its hash is kept."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("login.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)  # set when mailed
    status: Mapped[str] = mapped_column(String(10), default=InvitationStatus.PENDING)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    mailed_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)  # used, replaced or cancelled

    login: Mapped[Login] = relationship()

    __table_args__ = (
        CheckConstraint(one_of(InvitationStatus), name="status"),
    )


class RegistrationCode(Base):
    """R2: a one-time code; only its keyed hash is kept."""

    __tablename__ = "registration_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invitation, new_code
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)  # set when printed
    status: Mapped[str] = mapped_column(String(10), default=CodeStatus.ISSUED)
    issued_at: Mapped[datetime]
    expires_on: Mapped[date] = mapped_column(Date)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    void_reason: Mapped[str] = mapped_column(String(100), default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"), default=None)
    # R15: a code sent to a trustee; using it creates the trustee's login and its mandate for member_id.
    trustee_id: Mapped[int | None] = mapped_column(ForeignKey("trustee.id"), default=None)
    # R16: a login the fund created on an official letter; the code completes that login's registration.
    login_id: Mapped[int | None] = mapped_column(ForeignKey("login.id"), default=None)

    member: Mapped[Member] = relationship()

    __table_args__ = (
        CheckConstraint(one_of(CodeStatus), name="status"),
        Index("ix_registration_code_member_status", "member_id", "status"),
    )


class CodeAttempt(Base):
    """R3: each wrong code entry, for the per-member window."""

    __tablename__ = "code_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    __table_args__ = (Index("ix_code_attempt_member_at", "member_number", "at"),)


class AuthFailure(Base):
    """R9: each failed password or second factor, for the sliding windows per account and per IP.
    `account` is "staff:<id>" or "login:<id>" (empty when the name typed matched no account)."""

    __tablename__ = "auth_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(40), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    factor: Mapped[str] = mapped_column(String(15))  # password, password_device, second_factor
    at: Mapped[datetime]
    __table_args__ = (
        Index("ix_auth_failure_account_at", "account", "factor", "at"),
        Index("ix_auth_failure_ip_at", "ip", "factor", "at"),
    )


class SmsCode(Base):
    """R8: a one-time code sent by SMS; only its keyed hash is kept. One row per message sent, so the rows of
    the last hour are the sends to count; a resend marks the earlier code replaced."""

    __tablename__ = "sms_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(60))  # "login:17", "invitation:5"
    purpose: Mapped[str] = mapped_column(String(30))
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=SmsCodeStatus.ACTIVE)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        CheckConstraint(one_of(SmsCodeStatus), name="status"),
        Index("ix_sms_code_subject_purpose_sent", "subject", "purpose", "sent_at"),
    )


class RecoveryCode(Base):
    """R8: one of a login's eight recovery codes; only its keyed hash is kept, each works once."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("login.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)


class Letter(Base):
    """A postal letter: rendered once to a PDF, then printed in a batch (R1, R6)."""

    __tablename__ = "letter"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # invitation, new_code
    language: Mapped[str] = mapped_column(String(2))
    address: Mapped[list[str]] = mapped_column()  # the address on file when the letter was made
    postcode: Mapped[str] = mapped_column(String(10))
    letter_date: Mapped[date] = mapped_column(Date)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("registration_code.id"), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(10), default=LetterStatus.PENDING)
    pdf_path: Mapped[str] = mapped_column(String(500), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("print_batch.id"), default=None, index=True)
    trustee_id: Mapped[int | None] = mapped_column(ForeignKey("trustee.id"), default=None)  # addressed to it (R15)
    returned_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    rendered_at: Mapped[datetime | None] = mapped_column(default=None)
    printed_at: Mapped[datetime | None] = mapped_column(default=None)

    member: Mapped[Member] = relationship()
    code: Mapped[RegistrationCode | None] = relationship()

    __table_args__ = (
        CheckConstraint(one_of(LetterStatus), name="status"),
        Index("ix_letter_status", "status"),
        # The operations page: the last import's invitation letters (core.services.operations.last_mailing).
        Index("ix_letter_kind_created_at", "kind", "created_at"),
    )


class PrintBatch(Base):
    __tablename__ = "print_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    letters: Mapped[int] = mapped_column(Integer)
    pdf_path: Mapped[str] = mapped_column(String(500))
    manifest_path: Mapped[str] = mapped_column(String(500))


class Request(Base):
    """A member's request to the fund (Situation 2: a new code by post)."""

    __tablename__ = "request"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.RECEIVED)
    outcome: Mapped[str] = mapped_column(String(30), default="")  # internal only, never public
    member_number: Mapped[str] = mapped_column(String(20))
    uid: Mapped[str] = mapped_column(String(15))
    company_name: Mapped[str] = mapped_column(String(200))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_role: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(254))
    requester_phone: Mapped[str] = mapped_column(String(30), default="")
    reason: Mapped[str] = mapped_column(Text)
    administrators_cannot_help: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(2), default="de")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), default=None, index=True)
    received_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    # What only some kinds carry, e.g. a trustee code's trustee company, UID and contact person.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), default=None)

    __table_args__ = (
        CheckConstraint(one_of(RequestStatus), name="status"),
        Index("ix_request_member_number", "member_number"),  # the staff desk filters cases by member number
        Index("ix_request_uid", "uid"),  # and searches them by UID (names: trigram indexes, migration 0009)
    )


class Case(Base):
    """Something a person at the fund must decide."""

    __tablename__ = "staff_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # new_code, code_exhausted
    status: Mapped[str] = mapped_column(String(10), default=CaseStatus.OPEN)
    why: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"), default=None, unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), default=None, index=True)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # What only some kinds carry (the person to register, the logins to deactivate, a returned letter's id).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), default=None)
    # R16: the staff member who recorded the case; another one must decide it.
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)

    request: Mapped[Request | None] = relationship()
    member: Mapped[Member | None] = relationship()

    __table_args__ = (
        CheckConstraint(one_of(CaseStatus), name="status"),
        Index("ix_staff_case_status_created", "status", "created_at"),
    )


class History(Base):
    """What happened to a request or case, in order, for the staff desk."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"), default=None, index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("staff_case.id"), default=None, index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")


class StaffUser(Base):
    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(12), default="clerk")  # clerk, supervisor
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(Text)  # Fernet-encrypted
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("role IN ('clerk','supervisor')", name="role"),)


class AuditEvent(Base):
    """R18: append-only, hash-chained; never holds codes, OTPs or passwords."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    member_id: Mapped[int | None] = mapped_column(default=None, index=True)
    subject: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class OutboxMessage(Base):
    """A task to publish, written in the same transaction as the change that needs it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column()
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The HTTP request (or the task) that caused this row, so one grep of the logs follows it; every insert,
    # ORM or Core, takes it from the context without the caller passing it.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)

    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)


class Heartbeat(Base):
    """Liveness: when beat, each worker and each periodic job was last seen. One row per name, overwritten."""

    __tablename__ = "heartbeat"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # "beat", "worker:<host>", "job:<task>"
    kind: Mapped[str] = mapped_column(String(10))  # beat, worker, job
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (CheckConstraint("kind IN ('beat','worker','job')", name="kind"),)


class ParkedTask(Base):
    """A task that failed after its last retry, kept for staff to retry or discard. Never holds a secret: its
    arguments are masked when parked; a retry takes the originals from the task's outbox row."""

    __tablename__ = "parked_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(200), unique=True)  # the Celery task id: the outbox key
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column()
    ids: Mapped[dict[str, Any]] = mapped_column()  # the ids the task concerns, for the operations page
    error_type: Mapped[str] = mapped_column(String(100))
    error_message: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(10), default=ParkedStatus.PARKED)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str] = mapped_column(String(100), default="")
    retry_key: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint(one_of(ParkedStatus), name="status"),
        Index("ix_parked_task_status_failed", "status", "last_failed_at"),
    )


class AuditCheckpoint(Base):
    """R18 with retention: the audit chain now starts at `first_event_id`, whose prev_hash is kept here, so the
    remaining chain still verifies and a removal beyond the checkpoint is still detected."""

    __tablename__ = "audit_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    first_event_id: Mapped[int] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column()


class Document(Base):
    """A signed paper the fund keeps: a power of attorney (R14), an official letter (R16). Checked to be a PDF by
    its content; stored under VAR_DIR/documents by its hash, never served to anyone but staff."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # power_of_attorney, official_letter, returned_letter
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for display only
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(500))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(100))


class Trustee(Base):
    """A trustee company (fiduciary) or representative; its logins act for members through mandates (R13)."""

    __tablename__ = "trustee"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    care_of: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    po_box: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("language IN ('de','fr','it','en')", name="language"),)


class PowerOfAttorney(Base):
    """R14: the member (principal) empowers the trustee within a scope of rights, from one day to another."""

    __tablename__ = "power_of_attorney"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    trustee_id: Mapped[int] = mapped_column(ForeignKey("trustee.id"), index=True)
    scope: Mapped[list[str]] = mapped_column(default=list)  # rights (R10 catalogue)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)  # last day it covers; open-ended if None
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), default=None)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)  # effective on receipt (Art. 34 OR)
    revoked_by: Mapped[str] = mapped_column(String(100), default="")
    revocation_note: Mapped[str] = mapped_column(Text, default="")
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)  # the 30-day reminder, sent once

    member: Mapped[Member] = relationship()
    trustee: Mapped[Trustee] = relationship()

    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="dates"),
        Index("ix_power_of_attorney_member_trustee", "member_id", "trustee_id"),
    )


class Mandate(Base):
    """R13: one trustee login's access to one member, with the rights the member's administrator gave it."""

    __tablename__ = "mandate"
    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("login.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    rights: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(10), default=MandateStatus.ACTIVE)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str] = mapped_column(String(100), default="")
    # R14: "a" the member's administrator granted it; "b" a fund code on a power of attorney gave it (R15).
    way: Mapped[str] = mapped_column(String(1), default="a", server_default="a")
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)  # last day it works; None: until revoked
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)  # way (b) made way (a) by an administrator
    confirmed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")

    login: Mapped[Login] = relationship()
    member: Mapped[Member] = relationship()

    __table_args__ = (
        CheckConstraint(one_of(MandateStatus), name="status"),
        CheckConstraint("way IN ('a','b')", name="way"),
        Index("uq_mandate_login_member_active", "login_id", "member_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )


class Signatory(Base):
    """R16: a person who may sign for the member, as in the commercial register."""

    __tablename__ = "signatory"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str] = mapped_column(String(200), default="")
    # sole, collective_two, sole_procuration, collective_procuration, none
    authority: Mapped[str] = mapped_column(String(30))
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    source: Mapped[str] = mapped_column(String(200), default="commercial register")
    extract_date: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("authority IN ('sole','collective_two','sole_procuration','collective_procuration','none')",
                        name="authority"),
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="dates"),
    )


class StaffNotice(Base):
    """The last e-mail that told one staff member about open cases: at most one per 15 minutes, and only about
    cases newer than the ones it already counted."""

    __tablename__ = "staff_notice"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), primary_key=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    told_up_to: Mapped[int] = mapped_column(BigInteger, default=0)  # the highest case id the last mail counted


# The queue filtered by kind walks (status, kind, created_at) instead of skipping other kinds.
Index("ix_staff_case_status_kind_created", Case.status, Case.kind, Case.created_at)


class Counter(Base):
    """Sequences that work on SQLite and PostgreSQL alike (letter references)."""

    __tablename__ = "counter"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


__all__ = [
    "AuditCheckpoint",
    "AuditEvent",
    "AuthFailure",
    "Base",
    "Case",
    "CodeAttempt",
    "Counter",
    "Document",
    "Heartbeat",
    "History",
    "Invitation",
    "Letter",
    "Login",
    "Mandate",
    "Member",
    "OutboxMessage",
    "ParkedTask",
    "PowerOfAttorney",
    "PrintBatch",
    "RecoveryCode",
    "RegistrationCode",
    "Request",
    "Signatory",
    "SmsCode",
    "StaffNotice",
    "StaffUser",
    "Trustee",
]
