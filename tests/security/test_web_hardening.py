"""Hostile 5: cookies (Secure, HttpOnly, SameSite) in the production set-up, CSRF refused without its token on
every form route, security headers on every kind of answer (no framing, a strict CSP), and uploads checked by
their content, not their name."""

from __future__ import annotations

import html
import io
import os
import re

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from core import clock, config, db
from core.desk import documents
from core.models import Document, Request
from tests.integration.admin_support import ALL, log_in, make_login, make_member

HTTPS = "https://connect-backoffice.example.ch"


@pytest.fixture
def production_app(pg, monkeypatch):
    """The app as deployed: served over HTTPS (the rest of the production checks need real secrets)."""
    monkeypatch.setenv("PUBLIC_BASE_URL", HTTPS)
    config.reset()
    from web import create_app

    app = create_app({"TESTING": True})
    yield app
    monkeypatch.delenv("PUBLIC_BASE_URL")
    config.reset()


def _cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_session_cookie_is_secure_httponly_and_samesite_in_production(production_app, report):
    row = report.row("cookies Secure/HttpOnly/SameSite")
    client = production_app.test_client()
    pages = ["/login", "/register", "/requests/new-code", "/staff/login", "/?lang=fr"]
    found = [cookie for page in pages for cookie in _cookies(client.get(page, base_url=HTTPS))]
    row.runs = len(found)
    assert found, "the pages with forms set the session cookie"
    for cookie in found:
        if re.match(r"[^=]+=;", cookie) and "Max-Age=0" in cookie:
            continue  # a cookie being deleted (Flask-Login clears its unused remember-me cookie) carries nothing
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "secure" in flags and "httponly" in flags and flags.get("samesite", "").lower() in (
            "samesite=lax", "samesite=strict"), cookie


def _form_routes(app) -> list[str]:
    """Every POST route outside the JSON API, with made-up values for its URL parts."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("api."):
            continue
        values = {arg: ("1" if rule._converters[arg].__class__.__name__ == "IntegerConverter" else "x")
                  for arg in rule.arguments}
        url = rule.rule
        for arg, value in values.items():
            url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, url)
        urls.append(url)
    return sorted(set(urls))


def test_every_form_post_without_its_csrf_token_is_refused_and_writes_nothing(pg, report):
    from web import create_app

    row = report.row("CSRF: POST without token")
    app = create_app({"TESTING": True, "RATELIMIT_AUTH": "10000 per minute"})
    member = make_member("880100", "Csrf AG")
    login_id, secret = make_login(member, "Anna Admin", "anna@csrf.example", ALL)
    app.config["WTF_CSRF_ENABLED"] = False
    member_client = log_in(app, "880100", "anna@csrf.example", login_id, secret)  # logged in; the token checked
    app.config["WTF_CSRF_ENABLED"] = True
    clients = {"anonymous": app.test_client(), "member": member_client}
    form = {"member_number": "880100", "email": "anna@csrf.example", "password": "x", "name": "Mallory",
            "reason": "x" * 30, "action": "send"}
    refused = []
    routes = _form_routes(app)
    for who, client in clients.items():
        for url in routes:
            reply = client.post(url, data=form)
            refused.append((who, url, reply.status_code))
    row.runs = len(refused)
    wrong = [(who, url, status) for who, url, status in refused if status != 400]
    row.lost = len(wrong)
    assert wrong == [], "every form POST without a token must be refused with 400"
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0


def test_a_form_sent_without_its_session_says_so_in_the_persons_language_and_leads_back(pg):
    """The token check's refusal is a page a person can act on, not Werkzeug's bare "400 Bad Request"; the link
    back leads only to a page of this site."""
    from web import create_app

    client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True}).test_client()
    form = {"topic": "other", "message": "Hello", "name": "Anna", "email": "anna@example.ch"}
    reply = client.post("/support?lang=fr", data=form, headers={"Referer": "http://localhost/support?lang=fr"})
    page = html.unescape(reply.get_data(as_text=True))
    assert reply.status_code == 400 and "Ce formulaire a expiré" in page and "Rien n'a été envoyé" in page
    assert 'href="/support?lang=fr"' in page and "Bad Request" not in page
    elsewhere = client.post("/support", data=form, headers={"Referer": "https://evil.example/support"})
    assert elsewhere.status_code == 400 and 'href="/"' in elsewhere.get_data(as_text=True)


HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


@pytest.mark.parametrize("path", ["/", "/login", "/staff/login", "/portal/", "/no-such-page", "/api/v1/openapi.json",
                                  "/api/v1/requests/R-NOPE", "/healthz"])
def test_security_headers_on_every_kind_of_answer(pg, report, path):
    from web import create_app

    row = report.row("security headers (CSP, no framing)")
    row.runs = 1
    reply = create_app({"TESTING": True}).test_client().get(path)
    for name, value in HEADERS.items():
        assert reply.headers.get(name) == value, (path, name)
    csp = reply.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp, csp


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/staff/login", "/requests/new-code", "/support",
                                  "/requests/trustee-code"])
def test_a_head_request_is_answered_as_the_page_it_asks_about_not_as_a_form_sent_empty(pg, path):
    """Link checkers and monitors ask with HEAD: a form page answers it as it answers GET, and nothing is checked or
    counted (a HEAD used to fall through to the form's POST branch and answer 422)."""
    from web import create_app

    client = create_app({"TESTING": True}).test_client()
    seen = client.get(path)
    asked = client.head(path)
    assert (asked.status_code, seen.status_code) == (200, 200), path
    assert asked.get_data() == b""


def _pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Vollmacht")
    page.save()
    return buffer.getvalue()


UPLOADS = {
    # (content, name) -> accepted?
    "a real PDF under a misleading name": (_pdf, "scan.txt", True),
    "HTML named .pdf": (lambda: b"<html><script>alert(1)</script></html>", "poa.pdf", False),
    "a PDF header on garbage": (lambda: b"%PDF-1.7\n" + os.urandom(2000), "poa.pdf", False),
    "an executable named .pdf": (lambda: b"MZ\x90\x00" + os.urandom(500), "poa.pdf", False),
    "an empty file": (lambda: b"", "poa.pdf", False),
    "a truncated PDF": (lambda: _pdf()[:200], "poa.pdf", False),
}


@pytest.mark.parametrize("what", sorted(UPLOADS))
def test_uploads_are_checked_by_content_not_by_name(pg, report, what):
    row = report.row("uploads checked by content")
    row.runs = 1
    make_data, name, accepted = UPLOADS[what]
    kind = sorted(documents.KINDS)[0]
    with db.unit_of_work() as s:
        if accepted:
            assert documents.store(s, make_data(), name, kind, "staff:test", clock.now()).id
        else:
            with pytest.raises(documents.DocumentRejected):
                documents.store(s, make_data(), name, kind, "staff:test", clock.now())
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == int(accepted)
