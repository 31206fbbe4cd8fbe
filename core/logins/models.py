"""Logins, their invitations and their second factor (SMS codes, recovery codes), failed attempts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.states import InvitationStatus, LoginStatus, SmsCodeStatus, one_of
from core.members.models import Member
from core.orm import Base


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
