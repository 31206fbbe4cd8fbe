"""R17, R19, R21 as pure rules: the listed logins of a member's own request, how staff see them matched, and the
public status's calendar, which depends only on the day of receipt."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain import request_status
from core.domain import stale_login_requests as rules
from core.domain.requests import CONTROL_CHARACTERS, Facts, InvalidRequest, Outcome

MEMBER = {"member_number": "100200", "uid": "CHE-100.155.212", "company_name": "Muster AG",
          "requester_name": "Hans Muster", "requester_role": "Owner", "requester_email": "hans@muster.ch",
          "reason": "They have left."}


def test_r17_rows_give_a_name_an_e_mail_or_both():
    parsed = rules.parse_stale_logins({**MEMBER, "logins": [
        {"first_name": " Paolo ", "last_name": "Neri"}, {"email": "gina@muster.ch"},
        {"first_name": "Ugo", "last_name": "Verdi", "email": "ugo@muster.ch"}]})
    assert [row.label() for row in parsed.logins] == ["Paolo Neri", "gina@muster.ch", "Ugo Verdi <ugo@muster.ch>"]


@pytest.mark.parametrize(("logins", "errors"), [
    ([], {"logins": rules.NO_ROWS}),
    ("Paolo", {"logins": rules.BAD_ROWS}),
    ([{"email": f"p{n}@muster.ch"} for n in range(21)], {"logins": rules.TOO_MANY_ROWS}),
    ([{"last_name": "Neri"}], {"logins.0.first_name": rules.FIRST_NAME_MISSING}),
    ([{"email": "x"}], {"logins.0.email": "Enter an e-mail address in the correct format, like name@example.ch"}),
    ([{"first_name": "P" * 101, "last_name": "N"}], {"logins.0.first_name": rules.NAME_TOO_LONG}),
    ([{"first_name": "P\u0000", "last_name": "N"}], {"logins.0.first_name": CONTROL_CHARACTERS}),
])
def test_r17_bad_rows_are_named(logins, errors):
    with pytest.raises(InvalidRequest) as invalid:
        rules.parse_stale_logins({**MEMBER, "logins": logins})
    assert invalid.value.errors == errors


def test_r17_the_reason_asks_why_the_logins_should_end():
    with pytest.raises(InvalidRequest) as invalid:
        rules.parse_stale_logins({**MEMBER, "reason": "", "logins": [{"email": "gina@muster.ch"}]})
    assert invalid.value.errors == {"reason": rules.REASON_MISSING}


def test_r17_names_match_without_case_accents_or_order_and_e_mails_without_case():
    asked = rules.NamedLogin("Jürg", "MÜLLER", "")
    assert rules.matches(asked, "Müller Jürg", "x@y.ch")
    assert rules.matches(asked, "Juerg Mueller", "x@y.ch")  # the Swiss spelling without umlauts
    assert rules.matches(rules.NamedLogin("", "", "Gina@Muster.ch"), "Someone", "gina@muster.ch")
    assert not rules.matches(rules.NamedLogin("Paolo", "Neri", ""), "Paolo Nerini", "p@muster.ch")
    assert rules.matched_ids([asked], [(1, "Jürg Müller", "a@b.ch"), (2, "Anna Müller", "c@d.ch")]) == [1]


@pytest.mark.parametrize(("facts", "why"), [
    (Facts(False, False, 0), "no member with this member number"),
    (Facts(True, False, 0), "the UID does not match the member register"),
    (Facts(True, True, 1), "the member has an active administrator"),
    (Facts(True, True, 0), rules.NO_ADMINISTRATOR_WHY),
])
def test_r17_every_request_reaches_a_person_saying_why(facts, why):
    decision = rules.decide(facts)
    assert decision.outcome is Outcome.STAFF_CASE and decision.why.startswith(why)


def test_r21_the_public_calendar_counts_working_days_from_receipt_only():
    friday = date(2026, 12, 4)
    dates = request_status.timeline(friday)
    assert (dates.processed_by, dates.answer_by) == (date(2026, 12, 9), date(2026, 12, 14))
    assert dates.state(date(2026, 12, 9)) is request_status.PublicState.RECEIVED
    assert dates.state(date(2026, 12, 10)) is request_status.PublicState.PROCESSED


def test_the_limits_messages_name_the_limits_they_enforce():
    """The two messages are whole sentences in the catalogues, so the numbers in them are written out: they must
    stay the limits the checks use."""
    from core.domain import stale_login_requests as rules

    assert f"at most {rules.MAX_ROWS} logins" in rules.TOO_MANY_ROWS
    assert f"must be {rules.NAME_MAX} characters" in rules.NAME_TOO_LONG
