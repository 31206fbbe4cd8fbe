"""Pure rules of the staff area: passwords, usernames, throttling windows (R9), the desk's page cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.desk.desk import Filters
from core.domain import staff as rules
from core.domain.states import CaseStatus

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("password", ["short", "elevenchars", "", "aaaaaaaaaaaaaaaa", "abababababab"])
def test_weak_staff_passwords_are_refused(password):
    assert rules.password_problem(password, "anna.muster") is not None


def test_password_of_twelve_varied_characters_is_accepted():
    assert rules.password_problem("Bergsee 2026!", "anna.muster") is None


def test_password_containing_the_username_is_refused():
    assert rules.password_problem("xx-Anna.Muster-2026", "anna.muster") is not None


def test_overlong_password_is_refused():
    assert rules.password_problem("Ab1-" * 100, "anna") is not None


@pytest.mark.parametrize("username", ["anna.muster", "a.b", "clerk-07", "x_y"])
def test_usernames_that_are_accepted(username):
    assert rules.username_problem(username) is None


@pytest.mark.parametrize("username", ["", "ab", "Anna", "anna muster", ".anna", "anna.", "a" * 61, "änna"])
def test_usernames_that_are_refused(username):
    assert rules.username_problem(username) is not None


def test_r9_ten_failed_passwords_in_five_minutes_block():
    assert not rules.PASSWORD_LIMIT.reached(9)
    assert rules.PASSWORD_LIMIT.reached(10)
    assert rules.PASSWORD_LIMIT.since(NOW) == NOW - timedelta(minutes=5)


def test_r9_five_failed_second_factors_in_five_minutes_block():
    assert not rules.SECOND_FACTOR_LIMIT.reached(4)
    assert rules.SECOND_FACTOR_LIMIT.reached(5)
    assert rules.SECOND_FACTOR_LIMIT.since(NOW) == NOW - timedelta(minutes=5)


def test_cursor_round_trips_to_the_microsecond():
    cursor = rules.Cursor(datetime(2026, 3, 2, 9, 30, 1, 123457, tzinfo=UTC), 4711)
    assert rules.decode_cursor(cursor.encode()) == cursor


@pytest.mark.parametrize("raw", [None, "", "abc", "12", "12.", ".5", "-1.5", "1.2.3", "1e5.3",
                                 "9" * 40 + ".1", "9" * 30 + ".1", "9" * 18 + ".1"])
def test_cursor_from_an_edited_link_is_ignored(raw):
    assert rules.decode_cursor(raw) is None


def test_desk_filters_fall_back_to_open_cases_for_unknown_values():
    assert Filters.parse("deleted", "whatever", None) == Filters(CaseStatus.OPEN, "", "")
    assert Filters.parse("rejected", "code_exhausted", "  123456 ") == Filters(
        CaseStatus.REJECTED, "code_exhausted", "123456")
    assert Filters.parse(None, None, "x" * 50).member_number == "x" * 20
