"""The JSON API for new-code requests on real PostgreSQL: 202 after commit, faults as JSON naming each field."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate
from requests_support import JSON_BODY, add_member, count, decide, outbox
from sqlalchemy import select

from core import config, db
from core.models import OutboxMessage, Request
from web import create_app


@pytest.fixture
def client(pg):
    return create_app().test_client()


def body(**changes: object) -> dict[str, object]:
    return {**JSON_BODY, **changes}


def test_a_valid_request_is_accepted_with_202_a_reference_and_a_location(client):
    answer = client.post("/api/v1/requests", json=body())
    assert answer.status_code == 202
    reply = answer.get_json()
    assert reply["status"] == "received" and reply["reference"].startswith("R-")
    assert answer.headers["Location"] == f"/api/v1/requests/{reply['reference']}"

    status = client.get(answer.headers["Location"])
    assert status.status_code == 200
    shown = status.get_json()
    assert (shown["reference"], shown["kind"], shown["status"]) == (reply["reference"], "new_code", "received")
    assert set(shown) == {"reference", "kind", "status", "received_on", "processed_by", "answer_by"}
    with db.unit_of_work() as session:
        stored = session.scalars(select(Request)).one()
    assert (stored.requester_phone, stored.administrators_cannot_help) == ("+41311234567", False)
    assert len(outbox("requests.decide")) == 1


def test_optional_fields_are_taken(client):
    requester = {k: v for k, v in JSON_BODY["requester"].items() if k != "phone"}
    answer = client.post("/api/v1/requests", json=body(requester=requester, administrators_cannot_help=True,
                                                           language="it"))
    assert answer.status_code == 202
    with db.unit_of_work() as session:
        stored = session.scalars(select(Request)).one()
    assert (stored.requester_phone, stored.administrators_cannot_help, stored.language) == ("", True, "it")


def test_the_language_defaults_to_the_accept_language(client):
    answer = client.post("/api/v1/requests", json=body(), headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    assert answer.status_code == 202
    with db.unit_of_work() as session:
        assert session.scalars(select(Request.language)).one() == "fr"


def test_wrong_content_type_is_415(client):
    answer = client.post("/api/v1/requests", data=json.dumps(body()), content_type="text/plain")
    assert answer.status_code == 415 and answer.get_json()["error"] == "unsupported_media_type"
    assert client.post("/api/v1/requests", data=body()).status_code == 415  # a form post
    assert count(Request) == 0


NOT_JSON = [b"{", b"", b"\xff\xfe{", b"{'a': 1}", b"[" * 5000, b'{"member_number": 1' + b"0" * 5000 + b"}"]


@pytest.mark.parametrize("raw", NOT_JSON)
def test_a_body_that_is_not_json_is_400(client, raw):
    answer = client.post("/api/v1/requests", data=raw, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_json"


def test_a_body_that_is_not_an_object_is_422(client):
    answer = client.post("/api/v1/requests", json=["new_code"])
    assert answer.status_code == 422 and answer.get_json()["fields"] == {"body": "The body must be a JSON object."}


def test_each_bad_field_is_named(client):
    answer = client.post("/api/v1/requests", json=body(
        uid="CHE-123.456.789", reason="", member_number=None, colour="red",
        requester={"name": "Anna", "role": "", "email": "anna@", "phone": "12", "fax": "1"},
    ))
    assert answer.status_code == 422
    reply = answer.get_json()
    assert reply["error"] == "invalid_request"
    assert set(reply["fields"]) == {"uid", "reason", "member_number", "colour", "requester.role", "requester.email",
                                    "requester.phone", "requester.fax"}
    assert count(Request) == 0 and count(OutboxMessage) == 0


@pytest.mark.parametrize("kind", ["new_login", None, 1])
def test_an_unknown_kind_is_422(client, kind):
    answer = client.post("/api/v1/requests", json=body(kind=kind))
    assert answer.status_code == 422 and set(answer.get_json()["fields"]) == {"kind"}


def test_a_missing_requester_names_its_fields(client):
    answer = client.post("/api/v1/requests", json={k: v for k, v in JSON_BODY.items() if k != "requester"})
    assert set(answer.get_json()["fields"]) == {"requester.name", "requester.role", "requester.email"}
    answer = client.post("/api/v1/requests", json=body(requester="Anna"))
    assert "requester" in answer.get_json()["fields"]


def test_wrong_types_are_422_not_500(client):
    answer = client.post("/api/v1/requests", json=body(administrators_cannot_help="yes", language=["de"],
                                                       company_name=12, reason={"why": "x"}))
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"administrators_cannot_help", "language", "company_name", "reason"}


def test_text_postgresql_cannot_store_is_422_not_500(client):
    answer = client.post("/api/v1/requests", json=body(company_name="Muster\u0000AG", reason="\ud800"))
    assert answer.status_code == 422 and set(answer.get_json()["fields"]) == {"company_name", "reason"}


def test_an_oversized_body_is_413_as_json(client):
    answer = client.post("/api/v1/requests", json=body(reason="x" * 20_000))
    assert answer.status_code == 413 and answer.get_json()["error"] == "too_large"


@pytest.mark.parametrize("reference", ["R-0000-0000", "nonsense", "R-AAAA-BBBB/extra", "%00"])
def test_an_unknown_reference_is_404_as_json(client, reference):
    answer = client.get(f"/api/v1/requests/{reference}")
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


def test_public_status_never_differs_between_a_real_and_an_invented_member(client):
    with db.unit_of_work() as session:
        add_member(session)
    real = client.post("/api/v1/requests", json=body()).get_json()["reference"]
    invented = client.post("/api/v1/requests", json=body(member_number="999999")).get_json()["reference"]
    views = [client.get(f"/api/v1/requests/{ref}").get_json() for ref in (real, invented)]
    assert {**views[0], "reference": "REF"} == {**views[1], "reference": "REF"}
    assert views[0]["status"] == "received"
    with db.unit_of_work() as session:
        ids = session.scalars(select(Request.id).order_by(Request.id)).all()
    for request_id in ids:
        decide(request_id)
    # R21: the decision does not move the public status
    statuses = {client.get(f"/api/v1/requests/{ref}").get_json()["status"] for ref in (real, invented)}
    assert statuses == {"received"}


def test_a_database_outage_gives_503_and_stores_nothing(client, monkeypatch, pg):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    config.reset()
    db.dispose()
    try:
        answer = client.post("/api/v1/requests", json=body())
        status = client.get("/api/v1/requests/R-0000-0000")
    finally:
        monkeypatch.setenv("DATABASE_URL", pg)
        config.reset()
        db.dispose()
    assert answer.status_code == 503 and answer.get_json()["error"] == "unavailable"
    assert answer.headers["Retry-After"] == "30"
    assert status.status_code == 503
    assert count(Request) == 0 and count(OutboxMessage) == 0


def _drop_every_connection_of_this_database() -> None:
    """What a database restart does to the pool: every server side of its connections goes away."""
    import psycopg

    with db.engine().connect() as conn:
        name = conn.exec_driver_sql("SELECT current_database()").scalar()
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


def test_after_the_database_drops_idle_connections_the_next_request_is_accepted(client, monkeypatch):
    assert client.post("/api/v1/requests", json=body()).status_code == 202  # the pool now holds a connection
    _drop_every_connection_of_this_database()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # as if the connection had been idle: checked before use

    assert client.post("/api/v1/requests", json=body()).status_code == 202
    assert count(Request) == 2


def test_a_connection_lost_while_busy_gives_one_clean_503_and_the_pool_recovers(client, monkeypatch):
    assert client.post("/api/v1/requests", json=body()).status_code == 202
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # a busy connection is used without a ping
    _drop_every_connection_of_this_database()

    failed = client.post("/api/v1/requests", json=body())
    assert failed.status_code == 503 and failed.get_json()["error"] == "unavailable"
    assert client.post("/api/v1/requests", json=body()).status_code == 202  # the whole pool was renewed
    assert count(Request) == 2 and count(OutboxMessage) == 2  # nothing half-written by the failed one


def test_the_openapi_document_is_valid_and_describes_the_endpoints(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    document = json.loads(answer.get_data())
    validate(document)  # OpenAPI 3.1, including every schema in it
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/requests", "/requests/{reference}"}
    post = document["paths"]["/requests"]["post"]
    assert {"202", "400", "413", "415", "422", "503"} <= set(post["responses"])
    assert {"200", "404", "503"} <= set(document["paths"]["/requests/{reference}"]["get"]["responses"])
    request_schema = document["components"]["schemas"]["NewCodeRequest"]
    assert request_schema["additionalProperties"] is False
    assert set(request_schema["required"]) == {"kind", "member_number", "uid", "company_name", "requester", "reason"}


def test_the_example_body_satisfies_the_documented_schema_and_a_bad_one_does_not(client):
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").get_json()
    schema = {**document["components"]["schemas"]["NewCodeRequest"], "components": document["components"]}
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(JSON_BODY)) == []
    assert list(validator.iter_errors(body(colour="red")))
    assert list(validator.iter_errors(body(uid="CHE 100")))


def test_the_api_neither_reads_nor_sets_the_session_cookie(client):
    page = client.get("/requests/new-code?lang=fr")  # a page remembers the language in the session cookie
    assert "Set-Cookie" in page.headers and client.get_cookie("session") is not None

    answer = client.post("/api/v1/requests", json=body())
    assert answer.status_code == 202
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
    with db.unit_of_work() as session:  # the page's choice (fr) does not reach the API: no session is read
        assert session.scalars(select(Request.language)).one() == "de"
    chosen = client.post("/api/v1/requests?lang=it", json=body())  # remembering a language is a page's business
    assert chosen.status_code == 202 and "Set-Cookie" not in chosen.headers


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/nothing", 404), ("PUT", "/api/v1/requests", 405), ("DELETE", "/api/v1/requests/R-0000-0000", 405),
    ("GET", "/api/v1/requests/a%0Ab", 404), ("GET", "/api/", 404),
])
def test_every_answer_under_the_api_is_json(client, method, path, status):
    answer = client.open(path, method=method)
    assert answer.status_code == status and answer.mimetype == "application/json"
    assert answer.get_json()["error"] in ("not_found", "method_not_allowed")
    if status == 405:
        assert "POST" in answer.headers["Allow"] or "GET" in answer.headers["Allow"]


def test_pages_outside_the_api_keep_their_html_error_pages(client):
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and answer.mimetype == "text/html"
