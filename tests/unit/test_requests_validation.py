"""A request for a new code: every field is checked before anything is stored (R19), every problem named at once."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain import requests as r
from core.domain.requests import InvalidRequest, parse_new_code

VALID = {
    "member_number": " 100234 ",
    "uid": "CHE-100.155.212",
    "company_name": " Muster AG ",
    "requester_name": "Anna Muster",
    "requester_role": "Head of HR",
    "requester_email": "Anna@Example.CH",
    "requester_phone": "031 123 45 67",
    "reason": "Our only administrator has left.\nNobody else can log in.",
    "administrators_cannot_help": False,
    "language": "fr",
}


def errors_for(**changes: object) -> dict[str, str]:
    raw = {**VALID, **changes}
    raw = {name: value for name, value in raw.items() if value is not DROP}
    with pytest.raises(InvalidRequest) as caught:
        parse_new_code(raw)
    return caught.value.errors


DROP = object()


def test_a_valid_request_is_normalised():
    command = parse_new_code(VALID)
    assert command.member_number == "100234"
    assert command.uid == "CHE-100.155.212"
    assert command.company_name == "Muster AG"
    assert command.requester_email == "Anna@example.ch"  # the domain part is case-insensitive
    assert command.requester_phone == "+41311234567"  # R7-style: E.164, Swiss numbers may omit +41
    assert command.reason.startswith("Our only") and "\n" in command.reason
    assert command.language == "fr" and command.administrators_cannot_help is False


@pytest.mark.parametrize("typed", ["CHE-100.155.212", "CHE100155212", "che 100 155 212", " CHE-100.155.212 "])
def test_r19_uid_is_read_in_its_usual_forms(typed):
    assert parse_new_code({**VALID, "uid": typed}).uid == "CHE-100.155.212"


def test_r19_uid_with_a_wrong_check_digit_is_refused():
    assert errors_for(uid="CHE-123.456.789") == {"uid": r.BAD_UID}


@pytest.mark.parametrize("typed", ["100155212", "CHE-100.155.21", "CHE-100.155.212 MWST", "CHF-100.155.212"])
def test_r19_uid_in_a_wrong_form_is_refused(typed):
    assert errors_for(uid=typed) == {"uid": r.BAD_UID}


@pytest.mark.parametrize("name", sorted(r.MISSING))
def test_each_required_field_missing_is_named(name):
    assert errors_for(**{name: DROP}) == {name: r.MISSING[name]}
    assert errors_for(**{name: "   "}) == {name: r.MISSING[name]}


def test_r19_member_number_longer_than_20_characters_is_refused():
    assert errors_for(member_number="1" * 21) == {"member_number": r.TOO_LONG["member_number"]}
    assert parse_new_code({**VALID, "member_number": "1" * 20}).member_number == "1" * 20


@pytest.mark.parametrize("typed", ["anna", "anna@", "anna@example", "anna example@example.ch", "@example.ch"])
def test_an_invalid_email_is_refused(typed):
    assert errors_for(requester_email=typed) == {"requester_email": r.BAD_EMAIL}


@pytest.mark.parametrize("typed", ["12", "031 123 45 67 89 00", "abc", "+41 31 12"])
def test_an_invalid_phone_is_refused(typed):
    assert errors_for(requester_phone=typed) == {"requester_phone": r.BAD_PHONE}


def test_the_phone_is_optional():
    assert parse_new_code({**VALID, "requester_phone": ""}).requester_phone == ""
    assert parse_new_code({k: v for k, v in VALID.items() if k != "requester_phone"}).requester_phone == ""


def test_a_foreign_phone_number_is_kept_in_e164():
    assert parse_new_code({**VALID, "requester_phone": "+49 30 1234567"}).requester_phone == "+49301234567"


def test_the_reason_has_at_most_2000_characters():
    assert parse_new_code({**VALID, "reason": "x" * 2000}).reason == "x" * 2000
    assert errors_for(reason="x" * 2001) == {"reason": r.TOO_LONG["reason"]}


@pytest.mark.parametrize("name", ["member_number", "company_name", "requester_name", "requester_email"])
def test_control_characters_are_refused(name):
    assert errors_for(**{name: "Muster\x00AG"}) == {name: r.CONTROL_CHARACTERS}


def test_a_one_line_field_may_not_hold_a_line_break_but_the_reason_may():
    assert errors_for(company_name="Muster\nAG") == {"company_name": r.CONTROL_CHARACTERS}
    assert parse_new_code({**VALID, "reason": "a\r\n\tb"}).reason == "a\r\n\tb"


def test_text_that_cannot_be_stored_is_refused():
    assert errors_for(company_name="Muster \ud800 AG") == {"company_name": r.CONTROL_CHARACTERS}


@pytest.mark.parametrize("value", [None, 12, ["x"], {"a": 1}, True])
def test_a_field_that_is_not_text_is_refused(value):
    assert errors_for(uid=value) == {"uid": r.NOT_TEXT}


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_administrators_cannot_help_must_be_yes_or_no(value):
    assert errors_for(administrators_cannot_help=value) == {"administrators_cannot_help": r.BAD_FLAG}


@pytest.mark.parametrize("value", ["es", "", "DE", None])
def test_the_language_is_de_fr_it_or_en(value):
    assert errors_for(language=value) == {"language": r.BAD_LANGUAGE}


def test_every_problem_is_named_at_once():
    errors = errors_for(member_number="", uid="CHE-123.456.789", requester_email="x", requester_phone="1",
                        reason="", language="xx")
    assert set(errors) == {"member_number", "uid", "requester_email", "requester_phone", "reason", "language"}


# The OpenAPI document states these patterns; whatever the checks accept, the document's pattern must accept too,
# and whatever the pattern refuses, the checks refuse (so a schema-driven fuzzer gets 422, never a surprise 202).
@given(st.text(alphabet="CHEche0123456789-. \n\x00", max_size=22))
def test_r19_every_uid_accepted_matches_the_documented_pattern(text):
    try:
        uid = parse_new_code({**VALID, "uid": text}).uid
    except InvalidRequest:
        return
    assert re.fullmatch(r.UID_PATTERN, text) and uid.startswith("CHE-")


@given(st.text(max_size=40))
def test_every_member_number_accepted_matches_the_documented_limits(text):
    try:
        parse_new_code({**VALID, "member_number": text})
    except InvalidRequest:
        return
    assert 1 <= len(text) <= r.MAX_LENGTHS["member_number"] and re.fullmatch(r.ONE_LINE, text)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=5)


@given(st.dictionaries(st.sampled_from(sorted(VALID)), json_values | st.text(max_size=300)))
def test_any_input_is_either_accepted_or_refused_field_by_field_never_crashes(changes):
    try:
        command = parse_new_code({**VALID, **changes})
    except InvalidRequest as invalid:
        assert set(invalid.errors) <= set(VALID) and set(invalid.errors) <= set(changes)
        return
    assert len(command.requester_email) <= 254 and len(command.reason) <= 2000
