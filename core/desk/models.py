"""Requests from the public, the cases staff decide, their history and documents, and the fund's staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.states import CaseStatus, RequestStatus, one_of
from core.members.models import Member
from core.orm import Base


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


class StaffNotice(Base):
    """The last e-mail that told one staff member about open cases: at most one per 15 minutes, and only about
    cases newer than the ones it already counted."""

    __tablename__ = "staff_notice"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), primary_key=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    told_up_to: Mapped[int] = mapped_column(BigInteger, default=0)  # the highest case id the last mail counted


# The queue filtered by kind walks (status, kind, created_at) instead of skipping other kinds.
Index("ix_staff_case_status_kind_created", Case.status, Case.kind, Case.created_at)
