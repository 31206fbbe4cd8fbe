"""The power of attorney register on real PostgreSQL (R14, R18, R19): staff record a power with its signed PDF,
bad input stores nothing, a revocation ends the trustee's access at once, the lookup answers yes or no with the
reason and the document, and the 30-day reminder goes to both sides once."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pikepdf
import pytest
from admin_support import ALL, log_in, make_login, outbox_rows
from sqlalchemy import func, select
from staff_support import create_staff, csrf, english_client, make_app, make_member
from staff_support import log_in as staff_log_in
from trustee_support import UID_T, UID_U, grant, make_poa, make_trustee, make_trustee_login

from core import clock, db
from core.models import AuditEvent, Document, PowerOfAttorney, Trustee
from core.trustees import mandates, poa_reminders

MEMBER = "460100"


def pdf_bytes() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture
def app(pg):
    return make_app()


@pytest.fixture
def member(app):
    return make_member(MEMBER, "Muster Holzbau AG")


@pytest.fixture
def client(app, member):
    client = english_client(app)
    staff_log_in(client, create_staff("anna.muster", "Anna Muster"))
    return client


def _today():
    return clock.today_in_zurich(clock.now())


def _form(**changes) -> dict:
    today = _today()
    return {"member_number": MEMBER, "trustee_uid": "CHE 100 000 006", "trustee_name": "Fidu Treuhand AG",
            "trustee_street": "Seestrasse 5", "trustee_po_box": "", "trustee_postcode": "8000",
            "trustee_town": "Zürich", "trustee_language": "de", "trustee_email": "office@fidu.example",
            "scope": ["salary_declarations", "correspondence"], "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=365)).isoformat(),
            "received_on": (today - timedelta(days=1)).strftime("%d.%m.%Y"), **changes}


def _record(client, document: bytes | None = None, filename: str = "vollmacht.pdf", **changes):
    data = _form(**changes)
    data["csrf_token"] = csrf(client.get("/staff/powers-of-attorney/new").data)
    data["document"] = (io.BytesIO(pdf_bytes() if document is None else document), filename)
    return client.post("/staff/powers-of-attorney/new", data=data, content_type="multipart/form-data")


def _counts() -> tuple[int, ...]:
    with db.unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (PowerOfAttorney, Document, Trustee))


def _text(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


def test_r14_staff_record_a_power_with_its_document(client):
    response = _record(client)
    assert response.status_code == 303, _text(response)[:3000]
    detail = _text(client.get(response.headers["Location"]))
    assert "Fidu Treuhand AG (CHE-100.000.006)" in detail and "Salary declarations, Correspondence" in detail
    assert "Current" in detail
    with db.unit_of_work() as s:
        poa = s.scalar(select(PowerOfAttorney))
        assert (poa.scope, poa.received_on) == (["salary_declarations", "correspondence"], _today() - timedelta(1))
        document_id = poa.document_id
        actions = list(s.scalars(select(AuditEvent.action)))
    assert "power_of_attorney.recorded" in actions
    download = client.get(f"/staff/documents/{document_id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert "attachment" in download.headers["Content-Disposition"]
    listing = _text(client.get("/staff/powers-of-attorney/?q=CHE-100.000.006"))
    assert "Muster Holzbau AG" in listing


@pytest.mark.parametrize(("changes", "document", "message"), [
    ({"valid_until": "2020-01-01", "valid_from": "2020-02-01"}, None, "The end date must be on or after the start"),
    ({"trustee_uid": "CHE-100.000.007"}, None, "'CHE-100.000.007' is not a valid UID"),
    ({}, b"Hello, I am not a PDF", "The document cannot be kept: the file is not a PDF."),
    ({}, b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1), "the file is larger than 10 MB"),
    ({"member_number": "999999"}, None, "No member with this member number is on the register."),
    ({"scope": []}, None, "Choose at least one right the power of attorney covers."),
])
def test_r14_bad_input_says_what_is_wrong_and_stores_nothing(client, changes, document, message):
    before = _counts()
    response = _record(client, document, **changes)
    assert response.status_code == 422
    assert message in _text(response)
    assert _counts() == before


def test_r18_register_is_for_staff_only(app, member):
    from web import create_app

    trustee = make_trustee(UID_T)
    make_poa(member, trustee, ["correspondence"])
    member_login = make_login(member, "Anna Muster", "anna@muster.example", ALL)
    portal = log_in(create_app({"WTF_CSRF_ENABLED": False, "TESTING": True}), MEMBER, "anna@muster.example",
                    *member_login)
    for path in ("/staff/powers-of-attorney/", "/staff/powers-of-attorney/1", "/staff/powers-of-attorney/lookup",
                 "/staff/documents/1"):
        assert portal.get(path).status_code == 403
        assert app.test_client().get(path).status_code == 302


def _lookup(client, uid: str = UID_T):
    return _text(client.get(f"/staff/powers-of-attorney/lookup?member_number={MEMBER}&trustee_uid={uid}"))


def test_r14_revocation_ends_way_b_access_at_once_and_the_lookup_says_no(client, member):
    recorded = _record(client)
    poa_id = int(recorded.headers["Location"].rsplit("/", 1)[1])
    with db.unit_of_work() as s:
        trustee_id = s.scalar(select(Trustee.id))
    login_id, _ = make_trustee_login(trustee_id, "Tina Treu", "tina@fidu.example")
    grant(login_id, member, ALL, way="b")  # a fund code's access lasts only as long as the power (R15)
    yes = _lookup(client)
    assert "Yes: you may give information today." in yes and "Salary declarations, Correspondence" in yes
    assert "Download the PDF" in yes
    with db.unit_of_work() as s:
        assert mandates.active_rights(s, login_id, member, clock.now()) == {"salary_declarations", "correspondence"}
    page = client.get(f"/staff/powers-of-attorney/{poa_id}")
    empty = client.post(f"/staff/powers-of-attorney/{poa_id}/revoke", data={"csrf_token": csrf(page.data),
                                                                            "note": ""})
    assert empty.status_code == 422 and "Say how the revocation reached us" in _text(empty)
    done = client.post(f"/staff/powers-of-attorney/{poa_id}/revoke",
                       data={"csrf_token": csrf(page.data), "note": "Letter of the member"})
    assert done.status_code == 303
    with db.unit_of_work() as s:
        assert mandates.active_rights(s, login_id, member, clock.now()) == frozenset()
    no = _lookup(client)
    assert "No: do not give information." in no
    assert f"The power of attorney was revoked on {_today().strftime('%d.%m.%Y')}." in no


def test_r14_lookup_without_any_power_says_no_and_why(client):
    make_trustee(UID_T)
    page = _lookup(client)
    assert "No: do not give information." in page
    assert "No power of attorney from this member to this trustee is on record." in page
    bad = client.get(f"/staff/powers-of-attorney/lookup?member_number={MEMBER}&trustee_uid=CHE-100.000.007")
    assert bad.status_code == 422 and "is not a valid UID" in _text(bad)


def test_r14_reminder_goes_to_both_sides_once(app, member):
    trustee = make_trustee(UID_T, email="office@fidu.example")
    make_login(member, "Anna Muster", "anna@muster.example", ALL)
    make_login(member, "Ben Keller", "ben@muster.example", ["salary_declarations"])
    login_id, _ = make_trustee_login(trustee, "Tina Treu", "tina@fidu.example")
    grant(login_id, member, ["correspondence"])
    today = _today()
    due = make_poa(member, trustee, ["correspondence"], valid_until=today + timedelta(days=30))
    other = make_trustee(UID_U, "Other Treuhand AG", email="office@other.example")
    make_poa(member, other, ["correspondence"], valid_until=today + timedelta(days=31))  # not yet
    make_poa(member, trustee, ["correspondence"], valid_until=today + timedelta(days=5),
             revoked_at=clock.now() - timedelta(hours=1))  # revoked: nothing to remind of
    results: list[int] = []

    def beat() -> None:
        with db.unit_of_work() as s:
            results.append(poa_reminders.remind_expiring(s, clock.now()))

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 3]
    sent = sorted(row.args["to"] for row in outbox_rows("mail.send"))
    assert sent == ["anna@muster.example", "office@fidu.example", "tina@fidu.example"]
    assert all(f"poa_ending:{due}:" in row.key for row in outbox_rows("mail.send"))
    with db.unit_of_work() as s:
        assert poa_reminders.remind_expiring(s, clock.now()) == 0


def test_r14_upload_beyond_the_request_limit_says_so_and_stores_nothing(client):
    before = _counts()
    response = _record(client, b"%PDF-1.4\n" + b"0" * (13 * 1024 * 1024))
    assert response.status_code == 413
    assert "the file is larger than 10 MB" in _text(response) and "Record a power of attorney" in _text(response)
    assert _counts() == before


def test_r14_refused_document_is_explained_in_the_clerks_language(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    before = _counts()
    response = _record(client, b"not a pdf at all", "vollmacht.pdf")
    assert response.status_code == 422
    assert "die Datei ist kein PDF" in _text(response) and "the file is not a PDF" not in _text(response)
    assert _counts() == before


def test_r14_no_reminder_when_a_newer_power_continues_the_access(app, member):
    trustee = make_trustee(UID_T, email="office@fidu.example")
    make_login(member, "Anna Muster", "anna@muster.example", ALL)
    today = _today()
    make_poa(member, trustee, ["correspondence"], valid_until=today + timedelta(days=20))
    make_poa(member, trustee, ["correspondence"], valid_from=today + timedelta(days=21))  # from the next day on
    with db.unit_of_work() as s:
        assert poa_reminders.remind_expiring(s, clock.now()) == 0
    assert outbox_rows("mail.send") == []
