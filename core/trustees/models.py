"""Trustee companies, the powers of attorney the fund records, and the mandates that give a trustee login its rights."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.domain.states import MandateStatus, one_of
from core.logins.models import Login
from core.members.models import Member
from core.orm import Base, PostalAddressColumns


class Trustee(PostalAddressColumns, Base):
    """A trustee company (fiduciary) or representative; its logins act for members through mandates (R13)."""

    __tablename__ = "trustee"
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(15), unique=True)
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
