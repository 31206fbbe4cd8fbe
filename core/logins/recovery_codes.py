"""R8 recovery codes: eight per login, shown once when made, each works once in place of the second factor.

Only keyed hashes are kept (bound to the login). A new set voids every unused code of the old one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from core import audit, config, db
from core.domain import second_factor as rules
from core.domain.states import LoginStatus
from core.models import Login, RecoveryCode


class RecoveryCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    USED = "used"  # this code worked before: each works once


def _hash(login_id: int, code: str) -> str:
    return rules.keyed_hash(config.get().code_hmac_secret, "recovery", str(login_id), code)


def issue(session: Session, login: Login, actor: str, now: datetime) -> list[str]:
    """A new set of codes in the form shown to the person (XXXX-XXXX-XXXXX); the old set stops working."""
    voided = db.affected(session.execute(
        update(RecoveryCode).where(RecoveryCode.login_id == login.id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.voided_at.is_(None)).values(voided_at=now)
    ))
    codes = rules.new_recovery_codes()
    session.execute(insert(RecoveryCode), [dict(login_id=login.id, code_hash=_hash(login.id, code), created_at=now)
                                           for code in codes])
    audit.record(session, audit.Entry(actor, "login.recovery_codes_issued", login.member_id, f"login:{login.id}",
                                      {"count": len(codes), "voided": voided or 0}), now)
    return [rules.show_recovery_code(code) for code in codes]


def use(session: Session, login_id: int, typed: str, now: datetime) -> RecoveryCheck:
    """Spend one code. One UPDATE claims it, so two tabs with the same code cannot both get in."""
    code = rules.read_recovery_code(typed)
    if code is None:
        return RecoveryCheck.WRONG
    code_hash = _hash(login_id, code)
    claimed = session.scalar(
        update(RecoveryCode).where(RecoveryCode.login_id == login_id, RecoveryCode.code_hash == code_hash,
                                   RecoveryCode.used_at.is_(None), RecoveryCode.voided_at.is_(None))
        .values(used_at=now).returning(RecoveryCode.id)
    )
    if claimed is not None:
        return RecoveryCheck.OK
    used = session.scalar(select(RecoveryCode.id).where(RecoveryCode.login_id == login_id,
                                                        RecoveryCode.code_hash == code_hash,
                                                        RecoveryCode.used_at.is_not(None)))
    return RecoveryCheck.USED if used is not None else RecoveryCheck.WRONG


def unused(session: Session, login_id: int) -> int:
    return session.scalar(select(func.count()).where(RecoveryCode.login_id == login_id,
                                                     RecoveryCode.used_at.is_(None),
                                                     RecoveryCode.voided_at.is_(None))) or 0


def first_set(session: Session, login_id: int, now: datetime) -> list[str] | None:
    """The codes of a login that has just been activated, once: None if it has had codes before or is not active."""
    login = session.get(Login, login_id)
    if login is None or login.status != LoginStatus.ACTIVE:
        return None
    if session.scalar(select(RecoveryCode.id).where(RecoveryCode.login_id == login_id).limit(1)) is not None:
        return None
    return issue(session, login, f"login:{login.id}", now)
