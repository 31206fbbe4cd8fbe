"""The member register and its authorised signatories."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.orm import Base, PostalAddressColumns
from core.translatable import N_


class Member(PostalAddressColumns, Base):
    __tablename__ = "member"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(String(20), unique=True)
    uid: Mapped[str] = mapped_column(String(15))
    # R3: wrong codes entered in all; a new code does not reset it, a staff decision does.
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Staff search (core.desk.search): by UID here, by name through a trigram index made by migration 0009.
    __table_args__ = (CheckConstraint("language IN ('de','fr','it','en')", name="language"),
                      Index("ix_member_uid", "uid"))


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
    source: Mapped[str] = mapped_column(String(200), default=N_("commercial register"))
    extract_date: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("authority IN ('sole','collective_two','sole_procuration','collective_procuration','none')",
                        name="authority"),
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="dates"),
    )
