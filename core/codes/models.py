"""Registration codes, the attempts made with them, letters and print batches."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.states import CodeStatus, LetterStatus, one_of
from core.members.models import Member
from core.orm import Base


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
        # The operations page: the last import's invitation letters (core.operations.operations.last_mailing).
        Index("ix_letter_kind_created_at", "kind", "created_at"),
    )


class PrintBatch(Base):
    __tablename__ = "print_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    letters: Mapped[int] = mapped_column(Integer)
    pdf_path: Mapped[str] = mapped_column(String(500))
    manifest_path: Mapped[str] = mapped_column(String(500))
