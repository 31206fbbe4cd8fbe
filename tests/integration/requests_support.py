"""Helpers for the new-code request tests (Situation 2): register rows, logins, submitted requests."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock, db
from core.desk import requests
from core.domain.requests import parse_new_code
from core.domain.states import LoginStatus
from core.models import Login, Member, OutboxMessage

FORM = {
    "member_number": "100234",
    "uid": "CHE-100.155.212",
    "company_name": "Muster AG",
    "requester_name": "Anna Muster",
    "requester_role": "Head of HR",
    "requester_email": "anna@example.ch",
    "requester_phone": "031 123 45 67",
    "reason": "Our only administrator has left the company.",
}

JSON_BODY: dict[str, Any] = {
    "kind": "new_code",
    "member_number": "100234",
    "uid": "CHE-100.155.212",
    "company_name": "Muster AG",
    "requester": {"name": "Anna Muster", "role": "Head of HR", "email": "anna@example.ch",
                  "phone": "+41 31 123 45 67"},
    "reason": "Our only administrator has left the company.",
}


def add_member(session: Session, number: str = "100234", uid: str = "CHE-100.155.212", *, name: str = "Muster AG",
               language: str = "de", code_failures: int = 0) -> Member:
    now = clock.now()
    member = Member(member_number=number, uid=uid, name=name, care_of="", street="Bahnhofstrasse 1", po_box="",
                    postcode="3000", town="Bern", language=language, email="", code_failures=code_failures,
                    created_at=now, updated_at=now)
    session.add(member)
    session.flush()
    return member


def add_login(session: Session, member: Member, email: str, *, rights: list[str] | None = None,
              status: str = LoginStatus.ACTIVE, last_day: date | None = None, language: str = "de") -> Login:
    login = Login(member_id=member.id, name=email.split("@")[0].title(), email=email, mobile="+41791234567",
                  language=language, rights=["administration"] if rights is None else rights, status=status,
                  last_day=last_day, created_at=clock.now())
    session.add(login)
    session.flush()
    return login


def submit(now: datetime | None = None, **changes: object) -> tuple[int, str]:
    """A request stored the way the web does it: one transaction. Returns (id, reference)."""
    from core.models import Request

    with db.unit_of_work() as session:
        reference = requests.submit_new_code(session, parse_new_code({**FORM, **changes}), now or clock.now())
    with db.unit_of_work() as session:
        return session.scalar(select(Request.id).where(Request.reference == reference)) or 0, reference


def decide(request_id: int) -> object:
    with db.unit_of_work() as session:
        return requests.decide(session, request_id, clock.now())


def outbox(task: str | None = None) -> list[OutboxMessage]:
    with db.unit_of_work() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if task:
            query = query.where(OutboxMessage.task == task)
        return list(session.scalars(query))


def count(model: type) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)
