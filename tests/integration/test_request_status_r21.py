"""R21: a request's public status, page and API, is the same in states and timing whether or not the member
number, UID and administrators matched. Each request is decided at once (as the worker does); the clock then walks
through the processing time, and at every step the pages and the JSON of matching and non-matching requests
differ only by their reference."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from requests_support import JSON_BODY, add_login, add_member
from sqlalchemy import select
from trustee_code_support import api_body

from core import clock, db
from core.desk import requests
from core.models import Request
from web import create_app

# Days after receipt at which a person might look: the same day, during processing, just after, long after.
LOOKS = [timedelta(0), timedelta(minutes=5), timedelta(hours=20), timedelta(days=2), timedelta(days=4),
         timedelta(days=6), timedelta(days=12), timedelta(days=40)]


@pytest.fixture
def client(pg, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_CLOCK_FILE", str(tmp_path / "clock"))
    clock.set_offset(0)
    return create_app().test_client()


def _members() -> None:
    """100234 has no active administrator (a code goes out at once); 100235 has one (they are told)."""
    with db.unit_of_work() as session:
        add_member(session, "100234", "CHE-100.155.212")
        with_admin = add_member(session, "100235", "CHE-109.322.551", name="Beispiel AG")
        add_login(session, with_admin, "admin@beispiel.example")


def _decide_all() -> dict[str, str]:
    """Decide every request now, as the worker does within seconds; returns reference -> internal outcome."""
    with db.unit_of_work() as session:
        ids = session.scalars(select(Request.id).order_by(Request.id)).all()
    for request_id in ids:
        with db.unit_of_work() as session:
            requests.decide(session, request_id, clock.now())
    with db.unit_of_work() as session:
        return {row.reference: row.outcome for row in session.execute(select(Request.reference, Request.outcome))}


def _seen(client, reference: str) -> tuple[str, dict[str, object]]:
    page = client.get(f"/requests/{reference}?lang=en")
    api = client.get(f"/api/v1/requests/{reference}")
    assert page.status_code == 200 and api.status_code == 200
    return page.get_data(as_text=True).replace(reference, "REF"), {**api.get_json(), "reference": "REF"}


def _walk(client, references: list[str]) -> list[str]:
    """Look at every request at each moment; all must read the same. Returns the public states seen."""
    states = []
    for offset in LOOKS:
        clock.set_offset(offset.total_seconds())
        seen = [_seen(client, reference) for reference in references]
        assert all(view == seen[0] for view in seen[1:]), f"the status differs {offset} after receipt"
        states.append(str(seen[0][1]["status"]))
    return states


def test_r21_new_code_status_is_the_same_for_a_code_letter_told_administrators_and_a_staff_case(client):
    _members()
    references = [client.post("/api/v1/requests", json={**JSON_BODY, **changes}).get_json()["reference"]
                  for changes in ({}, {"member_number": "100235", "uid": "CHE-109.322.551"},
                                  {"member_number": "999999"}, {"uid": "CHE-109.322.551"})]
    outcomes = _decide_all()
    assert [outcomes[r] for r in references] == ["code_issued", "administrators_told", "staff_case", "staff_case"]

    states = _walk(client, references)

    assert states[0] == "received" and states[-1] == "processed"
    assert states == sorted(states, key=["received", "processed"].index)  # never back


def test_r21_trustee_code_status_is_the_same_whether_the_member_matched_or_has_administrators(client):
    _members()
    answers = [client.post("/api/v1/requests", json=api_body(**changes))
               for changes in ({}, {"member_number": "999999"},
                               {"member_number": "100235", "uid": "CHE-109.322.551",
                                "trustee": {**api_body()["trustee"], "uid": "CHE-116.281.710"}})]
    assert [answer.status_code for answer in answers] == [202, 202, 202]  # the answer, too, reads the same
    references = [answer.get_json()["reference"] for answer in answers]
    outcomes = _decide_all()
    assert [outcomes[r] for r in references] == ["staff_case", "staff_case", "administrator_can_help"]
    assert _walk(client, references)[-1] == "processed"


def test_r21_the_page_says_what_happens_in_each_case_and_by_when(client):
    _members()
    reference = client.post("/api/v1/requests", json=JSON_BODY).get_json()["reference"]
    _decide_all()
    status = client.get(f"/api/v1/requests/{reference}").get_json()
    answer_by = ".".join(reversed(status["answer_by"].split("-")))
    text = re.sub(r"\s+", " ", client.get(f"/requests/{reference}?lang=en").get_data(as_text=True))
    assert f"a letter with a new registration code reaches the address we hold for your company by {answer_by}" in text
    assert "If your company has an active administrator, we tell them about your request by e-mail instead" in text
    assert f"If nothing has reached you by {answer_by}, contact us" in text
    for leak in ("Completed", "Being reviewed", "in_review", "completed"):
        assert leak not in text
