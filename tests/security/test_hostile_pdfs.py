"""R23: uploaded documents are PDF only, at most 50 pages, without JavaScript, launch actions or files inside, and
are checked in bounded time and memory: a crafted file costs the web process nothing. Staff get them as downloads."""

from __future__ import annotations

import base64
import resource

import pytest
from sqlalchemy import func, select

from core import db
from core.desk import documents
from core.models import Case, Document, Request
from tests.integration.trustee_code_support import api_body
from tests.security import hostile_pdfs

REFUSED = [
    ("javascript", hostile_pdfs.javascript, "JavaScript"),
    ("obfuscated name", hostile_pdfs.obfuscated_javascript, "JavaScript"),
    ("javascript in a link", hostile_pdfs.link_javascript, "JavaScript"),
    ("launch action", hostile_pdfs.launch, "launch action"),
    ("embedded file", hostile_pdfs.embedded_file, "other files inside it"),
    ("60 pages", lambda: hostile_pdfs.plain(60), "more than 50 pages"),
    ("a page count of a billion", lambda: hostile_pdfs.declared_pages(999_999_999), "more than 50 pages"),
    ("inflation bomb", hostile_pdfs.inflation_bomb, "unpacks to far more"),
]


@pytest.mark.parametrize(("make", "reason"), [(m, r) for _n, m, r in REFUSED], ids=[n for n, _m, _r in REFUSED])
def test_r23_a_hostile_pdf_is_refused_with_its_reason(make, reason, report):
    report.row("R23 hostile PDFs (child process with limits)").runs = 1
    with pytest.raises(documents.DocumentRejected, match=reason):
        documents.check_pdf(make())


def test_r23_ordinary_pdfs_up_to_50_pages_pass():
    documents.check_pdf(hostile_pdfs.plain(1))
    documents.check_pdf(hostile_pdfs.plain(50))


def test_r23_a_million_page_tree_is_refused_without_costing_the_web_process_memory(report):
    report.row("R23 hostile PDFs (child process with limits)").runs = 1
    bomb = hostile_pdfs.page_tree_bomb()
    assert 5_000_000 < len(bomb) < documents.MAX_BYTES
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(documents.DocumentRejected, match="too complex|more than 50 pages|too long"):
        documents.check_pdf(bomb)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"the caller's peak memory grew by {grown_mb:.0f} MB"


@pytest.fixture
def app(pg):
    from web import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})


def _stored() -> tuple[int, int, int]:
    with db.unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Request, Case, Document))


@pytest.mark.parametrize("make", [hostile_pdfs.javascript, hostile_pdfs.page_tree_bomb, hostile_pdfs.inflation_bomb],
                         ids=["javascript", "page tree bomb", "inflation bomb"])
def test_r23_an_anonymous_request_with_a_hostile_pdf_is_refused_and_nothing_is_stored(app, make, report):
    report.row("R23 hostile PDFs (child process with limits)").runs = 1
    response = app.test_client().post("/api/v1/requests", json=api_body(make()))
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "power_of_attorney" in " ".join(response.get_json()["fields"])
    assert _stored() == (0, 0, 0)


def test_r23_staff_receive_an_uploaded_document_as_a_download(pg):
    from tests.integration.staff_support import create_staff, english_client, log_in, make_app

    app = make_app()
    client = english_client(app)
    assert app.test_client().post("/api/v1/requests", json=api_body()).status_code == 202
    with db.unit_of_work() as s:
        document_id = s.scalar(select(Document.id))
    log_in(client, create_staff(role="supervisor"))
    answer = client.get(f"/staff/documents/{document_id}")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF-")
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"


def test_r23_the_api_accepts_an_ordinary_power_of_attorney(app):
    body = api_body(hostile_pdfs.plain(2))
    assert base64.b64decode(body["power_of_attorney"]["content_base64"]).startswith(b"%PDF-")
    assert app.test_client().post("/api/v1/requests", json=body).status_code == 202
