"""Helpers for the signatories, exceptional registration (R16) and stale logins (R17) tests: real rows."""

from __future__ import annotations

import io
from datetime import date

import pikepdf

from core import clock, db
from core.domain.states import LoginStatus
from core.models import Login, Signatory


def pdf_bytes() -> bytes:
    """A real one-page PDF, as a scanner would send."""
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out)
    return out.getvalue()


def add_signatory(member_id: int, name: str, authority: str, valid_from: date | None = None,
                  valid_until: date | None = None) -> int:
    with db.unit_of_work() as s:
        signatory = Signatory(member_id=member_id, name=name, function="Mitglied des Verwaltungsrates",
                              authority=authority, valid_from=valid_from, valid_until=valid_until,
                              source="commercial register", extract_date=date(2026, 1, 5), created_at=clock.now())
        s.add(signatory)
        s.flush()
        return signatory.id


def add_login(member_id: int, name: str, rights: list[str], status: str = LoginStatus.ACTIVE,
              email: str | None = None) -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        login = Login(member_id=member_id, name=name, email=email or f"{name.split()[0].lower()}@muster.ch",
                      mobile="+41791234567", language="de", rights=rights, status=status, created_at=now,
                      activated_at=now if status != LoginStatus.PENDING else None, session_version=1, totp_last_step=0,
                      password_hash="", totp_secret="")
        s.add(login)
        s.flush()
        return login.id
