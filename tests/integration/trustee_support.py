"""Helpers for the trustee tests: trustee companies, their logins (enrolled, with a known password and
authenticator secret), mandates and powers of attorney made through the services, on real PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from admin_support import password_hash

from core import clock, db, secrets_box
from core.domain import totp
from core.domain.addresses import PostalAddress
from core.domain.states import LoginStatus
from core.models import Login, PowerOfAttorney
from core.trustees import mandates, trustees

UID_T, UID_U = "CHE-100.000.006", "CHE-100.000.012"


def make_trustee(uid: str = UID_T, name: str = "Fidu Treuhand AG", email: str = "office@fidu.example") -> int:
    with db.unit_of_work() as s:
        company = trustees.Company(uid, PostalAddress(name, street="Seestrasse 5", postcode="8000", town="Zürich"),
                                   "de", email)
        return trustees.find_or_create(s, company, now=clock.now(), actor="test").id


def make_trustee_login(trustee_id: int, name: str, email: str, *, status: str = LoginStatus.ACTIVE,
                       mobile: str = "+41791230000") -> tuple[int, str]:
    secret = totp.new_secret()
    now = clock.now()
    with db.unit_of_work() as s:
        login = Login(member_id=None, trustee_id=trustee_id, name=name, email=email, mobile=mobile, language="en",
                      password_hash=password_hash(), totp_secret=secrets_box.encrypt(secret), totp_last_step=0,
                      rights=[], status=status, session_version=1, created_at=now,
                      activated_at=now if status == LoginStatus.ACTIVE else None)
        s.add(login)
        s.flush()
        return login.id, secret


def grant(login_id: int, member_id: int, rights: list[str], way: str = "a") -> int:
    """A mandate as an administrator opens it (way (a)), or as a fund code on a power of attorney gives it (b)."""
    with db.unit_of_work() as s:
        return mandates.grant(s, login_id, member_id, rights, "test", clock.now(), way=way)


def make_poa(member_id: int, trustee_id: int, scope: list[str], valid_from: date | None = None,
             valid_until: date | None = None, revoked_at: datetime | None = None) -> int:
    today = clock.today_in_zurich(clock.now())
    with db.unit_of_work() as s:
        poa = PowerOfAttorney(member_id=member_id, trustee_id=trustee_id, scope=scope,
                              valid_from=valid_from or today - timedelta(days=10), valid_until=valid_until,
                              received_on=today - timedelta(days=11), recorded_by="test", recorded_at=clock.now(),
                              revoked_at=revoked_at)
        s.add(poa)
        s.flush()
        return poa.id


def trustee_with_mandate(member_id: int, uid: str, email: str, rights: list[str]) -> tuple[int, int]:
    """A trustee company with one login holding a mandate for the member, covered by a current power:
    (login id, mandate id)."""
    trustee_id = make_trustee(uid, f"Treuhand {uid}", f"office@{uid[-3:]}.example")
    login_id, _ = make_trustee_login(trustee_id, f"Trustee {uid}", email)
    make_poa(member_id, trustee_id, rights)
    return login_id, grant(login_id, member_id, rights)
