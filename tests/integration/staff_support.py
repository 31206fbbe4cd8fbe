"""Helpers for the staff and desk tests: real rows, real forms (CSRF on), real two-step login."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from core import clock, db, refs
from core.desk import cases
from core.desk import staff as staff_service
from core.domain.states import RequestStatus
from core.models import Member, Request

PASSWORD = "Aare-Ufer im Morgennebel"
UID = "CHE-100.155.212"
_TOKEN = re.compile(r'name="([\w-]*csrf_token)" type="hidden" value="([^"]+)"')


def make_app() -> Flask:
    from web import create_app

    return create_app({"TESTING": True})


def english_client(app: Flask) -> FlaskClient:
    """Pages in English (the source language), so that tests read the texts as written."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def hidden_fields(page: bytes, prefix: str) -> dict[str, str]:
    """The hidden inputs of the form with this prefix, as the browser sends them back (its CSRF token aside)."""
    found = re.findall(rf'<input[^>]*name="({re.escape(prefix)}-[a-z_]+)"[^>]*type="hidden"[^>]*value="([^"]*)"'
                       .encode(), page)
    found += re.findall(rf'<input[^>]*type="hidden"[^>]*name="({re.escape(prefix)}-[a-z_]+)"[^>]*value="([^"]*)"'
                        .encode(), page)
    return {name.decode(): html.unescape(value.decode()) for name, value in found
            if not name.endswith(b"csrf_token")}


def csrf(page: bytes | str) -> str:
    text = page.decode() if isinstance(page, bytes) else page
    found = _TOKEN.search(text)
    assert found, "no CSRF token on the page"
    return html.unescape(found.group(2))


def create_staff(username: str = "anna.muster", name: str = "Anna Muster",
                 role: str = "clerk") -> staff_service.Enrolment:
    with db.unit_of_work() as s:
        return staff_service.create(s, username=username, name=name, email=f"{username}@exfour.ch", role=role,
                                    password=PASSWORD, now=clock.now(), actor="test")


def otp(secret: str, steps_ahead: int = 0) -> str:
    """The authenticator's code; steps_ahead=1 is the next 30 s code (still accepted, R8: ±1 step)."""
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30 * steps_ahead))


def post_password(client: FlaskClient, username: str, password: str = PASSWORD, next_url: str = "") -> object:
    token = csrf(client.get("/staff/login").data)
    return client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password,
                                             "next": next_url})


def post_code(client: FlaskClient, code: str) -> object:
    token = csrf(client.get("/staff/login/code").data)
    return client.post("/staff/login/code", data={"csrf_token": token, "otp": code})


def log_in(client: FlaskClient, enrolment: staff_service.Enrolment, steps_ahead: int = 0) -> None:
    first = post_password(client, enrolment.username)
    assert first.status_code == 303 and first.headers["Location"].endswith("/staff/login/code")
    second = post_code(client, otp(enrolment.secret, steps_ahead))
    assert second.status_code == 303, second.data[:500]


def make_member(number: str = "100200", name: str = "Muster Holzbau AG", uid: str = UID,
                language: str = "fr") -> int:
    now = clock.now()
    with db.unit_of_work() as s:
        member = Member(member_number=number, uid=uid, name=name, care_of="", street="Rue du Lac 4", po_box="",
                        postcode="2000", town="Neuchâtel", language=language, email="", code_failures=0,
                        created_at=now, updated_at=now)
        s.add(member)
        s.flush()
        return member.id


def make_request(number: str = "100200", uid: str = UID, language: str = "it", member_id: int | None = None,
                 received_at: datetime | None = None, company: str = "Muster Holzbau AG") -> int:
    with db.unit_of_work() as s:
        request = Request(reference=refs.new("R"), kind="new_code", status=RequestStatus.IN_REVIEW,
                          outcome="staff_case", member_number=number, uid=uid, company_name=company,
                          requester_name="Marco Rossi", requester_role="Treuhänder",
                          requester_email="marco.rossi@example.ch", requester_phone="+41791234567",
                          reason="Our only administrator has left; please send the code to Via Nassa 1, Lugano.",
                          administrators_cannot_help=False, language=language, member_id=member_id,
                          received_at=received_at or clock.now())
        s.add(request)
        s.flush()
        return request.id


def open_new_code_case(request_id: int, member_id: int | None, why: str, at: datetime | None = None) -> int:
    with db.unit_of_work() as s:
        return cases.open_case(s, kind="new_code", why=why, now=at or clock.now(), request_id=request_id,
                               member_id=member_id).id


def new_code_case(number: str = "100200", known: bool = True, at: datetime | None = None,
                  why: str = "the UID does not match the member register") -> tuple[int, int, int | None]:
    """A member (when known), its request and the open case: (case id, request id, member id)."""
    member_id = make_member(number) if known else None
    request_id = make_request(number, member_id=member_id, received_at=at)
    return open_new_code_case(request_id, member_id, why, at), request_id, member_id
