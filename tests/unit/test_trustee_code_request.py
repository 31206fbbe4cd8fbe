"""R15, R19: a request for a code sent directly to the member's trustee is checked field by field before anything
is stored, and decided by staff, except where the member's administrator can open the access (Situation 3 (a))."""

from __future__ import annotations

import pytest

from core.domain import requests as r
from core.domain.trustee_requests import parse_trustee_code

VALID = {
    "member_number": "100234", "uid": "CHE-100.155.212", "company_name": "Muster AG",
    "requester_name": "Anna Muster", "requester_role": "Managing director", "requester_email": "anna@example.ch",
    "requester_phone": "", "reason": "Our only administrator left; our trustee does the salary declarations.",
    "language": "fr",
    "trustee_name": "Treuhand Beispiel GmbH", "trustee_uid": "che 109 322 551", "trustee_care_of": "",
    "trustee_street": "Seestrasse 8", "trustee_po_box": "", "trustee_postcode": "8001", "trustee_town": "Zürich",
    "trustee_language": "de", "contact_name": "Tina Treu", "contact_email": "Tina@Treuhand.example",
}


def errors_for(**changes: object) -> dict[str, str]:
    with pytest.raises(r.InvalidRequest) as caught:
        parse_trustee_code({**VALID, **changes})
    return caught.value.errors


def test_r19_a_valid_request_is_normalised_with_the_trustees_details():
    command = parse_trustee_code(VALID)
    assert command.member.member_number == "100234" and command.member.language == "fr"
    assert command.trustee.uid == "CHE-109.322.551"  # printed form
    assert command.trustee.contact_email == "Tina@treuhand.example"
    details = command.trustee.as_details()
    assert details["trustee_town"] == "Zürich" and details["trustee_language"] == "de"


def test_r19_a_trustee_uid_failing_its_check_digit_is_named():
    assert errors_for(trustee_uid="CHE-123.456.789") == {
        "trustee_uid": "Enter the trustee's UID as on its register entry, like CHE-123.456.789: this one fails "
                       "its check"}


def test_every_problem_is_named_at_once_member_and_trustee_alike():
    errors = errors_for(uid="CHE-123.456.789", trustee_name="", trustee_postcode="80011", contact_email="nope",
                        trustee_language="xx", reason="")
    assert set(errors) == {"uid", "trustee_name", "trustee_postcode", "contact_email", "trustee_language", "reason"}


def test_r1_an_address_needs_a_street_or_a_po_box_and_a_swiss_postcode():
    assert set(errors_for(trustee_street="", trustee_po_box="")) == {"trustee_street"}
    assert parse_trustee_code({**VALID, "trustee_street": "", "trustee_po_box": "Postfach"}).trustee.po_box
    assert set(errors_for(trustee_postcode="0800")) == {"trustee_postcode"}


def test_the_trustee_cannot_be_the_member_itself():
    assert set(errors_for(trustee_uid="CHE-100.155.212")) == {"trustee_uid"}


@pytest.mark.parametrize("bad", [12, None, ["x"], "Muster\u0000GmbH", "x" * 201])
def test_wrong_types_and_unstorable_text_are_refused_not_crashing(bad):
    assert "trustee_name" in errors_for(trustee_name=bad)


def test_r15_staff_decide_every_trustee_code_unless_the_administrator_can_help():
    case = r.decide_trustee_code(r.Facts(member_known=True, uid_matches=True, active_administrators=0))
    assert case.outcome is r.Outcome.STAFF_CASE
    way_a = r.decide_trustee_code(r.Facts(member_known=True, uid_matches=True, active_administrators=1))
    assert way_a.outcome is r.Outcome.WAY_A
    # R5: without a matching member number and UID the answer does not depend on the member's logins.
    for facts in (r.Facts(member_known=False, uid_matches=False, active_administrators=0),
                  r.Facts(member_known=True, uid_matches=False, active_administrators=2)):
        assert r.decide_trustee_code(facts).outcome is r.Outcome.STAFF_CASE
