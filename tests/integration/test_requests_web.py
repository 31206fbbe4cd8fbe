"""The public pages for a new code (Situation 2) on real PostgreSQL: form, check your answers, confirmation, status."""

from __future__ import annotations

import html
import re

import pytest
from requests_support import FORM, add_member, count, csrf_token, decide, outbox
from sqlalchemy import select

from core import db
from core.domain.states import RequestStatus
from core.models import OutboxMessage, Request
from web import create_app


@pytest.fixture
def client(pg):
    return create_app().test_client()


def open_form(client, lang: str = "en") -> str:
    page = client.get(f"/requests/new-code?lang={lang}")
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def send(client, **changes: str) -> str:
    """Fill in the form, check the answers, send; returns the confirmation page's URL."""
    token = open_form(client)
    data = {**FORM, **changes, "csrf_token": token}
    check = client.post("/requests/new-code", data=data)
    assert check.status_code == 200 and "Check your answers" in check.get_data(as_text=True)
    sent = client.post("/requests/new-code", data={**data, "action": "send"})
    assert sent.status_code == 303
    return sent.headers["Location"]


def test_the_home_page_link_name_points_to_the_form(client):
    with client.application.test_request_context():
        from flask import url_for

        assert url_for("public.new_code") == "/requests/new-code"


def test_errors_are_shown_in_a_summary_and_next_to_each_field_and_what_was_typed_is_kept(client):
    token = open_form(client)
    typed = {**FORM, "uid": "CHE-123.456.789", "requester_email": "anna.example.ch", "reason": "", "csrf_token": token}
    page = client.post("/requests/new-code", data=typed)

    assert page.status_code == 422
    text = page.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', text, re.S).group(0)
    assert re.findall(r'href="#([a-z_]+)"', summary) == ["uid", "requester_email", "reason"]
    assert '<p class="error-message" id="uid-error">' in text
    assert 'aria-describedby="uid-hint uid-error" aria-invalid="true"' in text
    for name in ("member_number", "company_name", "requester_name", "requester_role"):
        assert f'name="{name}" type="text" value="{html.escape(FORM[name], quote=True)}"' in text
    assert 'value="CHE-123.456.789"' in text and 'value="anna.example.ch"' in text
    assert count(Request) == 0


def test_errors_are_in_the_page_language(client):
    open_form(client, lang="de")
    page = client.post("/requests/new-code", data={"csrf_token": open_form(client, lang="de")})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Geben Sie Ihre Mitgliednummer ein" in text and "Mitgliednummer" in text


def test_a_post_without_the_csrf_token_is_refused(client):
    page = client.post("/requests/new-code", data=FORM)
    assert page.status_code in (400, 422)
    assert count(Request) == 0


def test_checking_the_answers_stores_nothing_and_change_brings_the_form_back_filled_in(client):
    token = open_form(client)
    check = client.post("/requests/new-code", data={**FORM, "csrf_token": token})
    text = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "+41 31 123 45 67" in text and "CHE-100.155.212" in text
    assert count(Request) == 0 and count(OutboxMessage) == 0

    back = client.post("/requests/new-code", data={**FORM, "csrf_token": token, "action": "change"})
    assert back.status_code == 200
    assert 'name="company_name" type="text" value="Muster AG"' in back.get_data(as_text=True)
    assert count(Request) == 0


def test_sending_gives_a_confirmation_with_the_reference_and_what_happens_next(client):
    location = send(client)
    assert re.fullmatch(r"/requests/R-[0-9A-Z]{4}-[0-9A-Z]{4}/received", location)
    reference = location.split("/")[2]

    page = client.get(location)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert reference in text and "If nothing has reached you by" in text and "never send codes by e-mail" in text
    with db.unit_of_work() as session:
        stored = session.scalars(select(Request)).one()
    assert (stored.reference, stored.status, stored.language, stored.member_number) == (
        reference, RequestStatus.RECEIVED, "en", "100234")
    assert [row.key for row in outbox("requests.decide")] == [f"decide:{stored.id}"]


def test_status_page_shows_the_status_in_plain_words(client):
    with db.unit_of_work() as session:
        add_member(session)
    reference = send(client).split("/")[2]
    assert "Received – being processed" in client.get(f"/requests/{reference}?lang=en").get_data(as_text=True)

    with db.unit_of_work() as session:
        request_id = session.scalar(select(Request.id))
    decide(request_id)
    page = client.get(f"/requests/{reference.lower()}?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Received – being processed" in text  # R21: not "completed" at once
    assert "What happens next" in text and "If nothing has reached you by" in text


@pytest.mark.parametrize("reference", ["R-0000-0000", "nonsense", "R-%00AB-CDEF", "x" * 300])
def test_status_page_of_an_unknown_reference_is_not_found(client, reference):
    assert client.get(f"/requests/{reference}").status_code == 404
    assert client.get(f"/requests/{reference}/received").status_code == 404


def test_public_pages_read_the_same_for_a_real_and_an_invented_member(client):
    with db.unit_of_work() as session:
        add_member(session)
    real = send(client)
    invented = send(client, member_number="999999", uid="CHE-116.281.710")
    pages = []
    for location in (real, invented):
        reference = location.split("/")[2]
        for url in (location, f"/requests/{reference}"):
            pages.append(client.get(url).get_data(as_text=True).replace(reference, "REF"))
    assert pages[0] == pages[2] and pages[1] == pages[3]


def test_a_database_outage_gives_503_and_stores_nothing(client, monkeypatch, pg):
    from core import config

    token = open_form(client)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    config.reset()
    db.dispose()
    try:
        page = client.post("/requests/new-code", data={**FORM, "csrf_token": token, "action": "send"})
    finally:
        monkeypatch.setenv("DATABASE_URL", pg)
        config.reset()
        db.dispose()
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert count(Request) == 0 and count(OutboxMessage) == 0
