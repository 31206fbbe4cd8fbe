"""Control characters in anything typed, on real PostgreSQL (which refuses NUL in text): every form answers with an
error next to the field, in the page's language, and writes nothing; the API names the field (web.forms)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import db
from core.models import AuditEvent, AuthFailure, Case, Login, Request
from web.forms import CONTROL_CHARACTERS, ONE_LINE
from web.i18n import translate

NEW_CODE = {"member_number": "100200", "uid": "CHE-100.155.212", "company_name": "Muster AG",
            "requester_name": "Anna Muster", "requester_role": "HR", "requester_email": "anna@muster.example",
            "requester_phone": "", "reason": "Our administrator left."}
POSTS = [
    ("/login", {"member_number": "100200", "email": "anna@muster.example", "password": "x\x00y"}, "password"),
    ("/login", {"member_number": "100\x00200", "email": "anna@muster.example", "password": "secret"},
     "member_number"),
    ("/register", {"member_number": "100200", "code": "ABCD-EFGH-\x00JKM-NPQR"}, "code"),
    ("/support", {"topic": "technical", "message": "Help\x00", "name": "Anna", "email": "anna@muster.example"},
     "message"),
    ("/staff/login", {"username": "anna\x00", "password": "secret"}, "username"),
    ("/requests/new-code", {**NEW_CODE, "company_name": "Muster\x1b[31m AG"}, "company_name"),
    ("/requests/new-code", {**NEW_CODE, "requester_name": "Anna\r\nBcc: all@example.ch"}, "requester_name"),
    # A bidirectional override shows a stored name reversed ("Sophie \u202eDupont" reads "Sophie tnopuD").
    ("/requests/new-code", {**NEW_CODE, "requester_name": "Sophie \u202eDupont"}, "requester_name"),
    ("/support", {"topic": "technical", "message": "Help \u2067test\u2069", "name": "Anna",
                  "email": "anna@muster.example"}, "message"),
    # A C1 control (U+0085 is a line break) and the line separator printed "Muster?AG" in a letter's window;
    # a zero-width space or a byte order mark hides inside a name.
    ("/requests/new-code", {**NEW_CODE, "company_name": "Muster\u0085AG"}, "company_name"),
    ("/requests/new-code", {**NEW_CODE, "requester_name": "Muster\u2028AG"}, "requester_name"),
    ("/requests/new-code", {**NEW_CODE, "company_name": "Mus\u200bter AG"}, "company_name"),
    ("/support", {"topic": "technical", "message": "Help\ufeff", "name": "Anna", "email": "anna@muster.example"},
     "message"),
]


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def _written() -> tuple[int, ...]:
    with db.unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(model))
                     for model in (Request, Case, Login, AuthFailure, AuditEvent))


@pytest.mark.parametrize("lang", ["fr", "de"])
@pytest.mark.parametrize(("path", "data", "field"), POSTS, ids=[f"{p}-{f}" for p, _d, f in POSTS])
def test_a_control_character_gets_an_error_next_to_its_field_and_nothing_is_written(app, path, data, field, lang):
    before = _written()
    client = app.test_client()
    response = client.post(f"{path}?lang={lang}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422), page[:300]
    expected = ONE_LINE if "\r" in data[field] else CONTROL_CHARACTERS
    assert translate(expected, lang).replace("'", "&#39;") in page
    assert f'id="{field}-error"' in page or f'aria-describedby="{field}' in page or f'href="#{field}"' in page
    assert _written() == before


@pytest.mark.parametrize("lang", ["fr", "it"])
def test_the_message_is_translated(lang):
    for text in (CONTROL_CHARACTERS, ONE_LINE):
        assert translate(text, lang) != text


def test_the_api_names_each_field_with_a_control_character_as_the_forms_do(app):
    body = {"kind": "new_code", "member_number": "100200", "uid": "CHE-100.155.212", "company_name": "Muster AG",
            "requester": {"name": "Anna\u0000", "role": "HR\u202e", "email": "anna@muster.example"},
            "reason": "Line one\nline two is fine", "extra\u0007": 1}
    before = _written()
    response = app.test_client().post("/api/v1/requests", json=body)
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"requester.name": CONTROL_CHARACTERS, "requester.role": CONTROL_CHARACTERS,
                                             "extra\u0007": "Unknown field."}
    assert _written() == before


def test_every_form_of_the_site_derives_from_the_one_base():
    import pkgutil
    from importlib import import_module

    from flask_wtf import FlaskForm

    import web
    from web.forms import Form

    for module in pkgutil.walk_packages(web.__path__, "web."):
        import_module(module.name)

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    strays = [f"{cls.__module__}.{cls.__qualname__}" for cls in subclasses(FlaskForm)
              if not issubclass(cls, Form) and cls.__module__.startswith("web.")]
    assert strays == []
