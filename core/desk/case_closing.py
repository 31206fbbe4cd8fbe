"""Closing a case with nothing more to send, and what closing means for its kind: a returned R16 letter that is not
sent again withdraws the login the fund prepared with it. Above both the desk and the returned-mail use cases, so
that neither imports the other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.codes import returned_mail
from core.desk import desk


def close(session: Session, case_id: int, staff_id: int, note: str, now: datetime) -> None:
    case, actor = desk.close(session, case_id, staff_id, note, now)
    if case.kind == returned_mail.KIND:
        returned_mail.withdraw_prepared_login(session, case, actor, now)
