"""Rules behind registering a first administrator and logging in: code reading (R2), the wrong-code window
(R3), passwords, the mobile number (R7), sign-in throttling (R9) and the rights catalogue (R10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain import codes, passwords, rights
from core.domain.phones import InvalidMobile, normalise_mobile

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["abcd-efgh-jkmn-pqrs", "ABCD EFGH JKMN PQRS", "abcdefghjkmnpqrs",
                                   " AbCd-EfGh JkMn-PqRs "])
def test_r2_code_typed_in_any_case_with_or_without_dashes_reads_the_same(typed):
    assert codes.read(typed) == "ABCDEFGHJKMNPQRS"


def test_r2_crockford_look_alikes_are_read_as_digits():
    assert codes.read("oooo-iiii-llll-0000") == "0000111111110000"


@pytest.mark.parametrize("typed", ["ABCD-EFGH-JKMN-PQRU", "ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN-PQRS-T",
                                   "ABCD_EFGH_JKMN_PQRS"])
def test_r2_text_that_cannot_be_a_code_is_refused(typed):
    with pytest.raises(codes.InvalidCodeFormat):
        codes.read(typed)


def test_r3_four_wrong_codes_in_15_minutes_still_allow_another_try():
    assert not codes.entry_blocked([NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)], NOW)


def test_r3_five_wrong_codes_in_15_minutes_block_entry():
    assert codes.entry_blocked([NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 14)], NOW)


def test_r3_wrong_codes_older_than_15_minutes_no_longer_count():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)] + [NOW - timedelta(minutes=15)]
    assert not codes.entry_blocked(failures, NOW)
    assert codes.entry_blocked(failures, NOW - timedelta(seconds=1))


def test_r3_one_hundred_wrong_codes_in_all_exhaust_the_member():
    assert not codes.exhausted(99)
    assert codes.exhausted(100)
    assert codes.exhausted(130)


@pytest.mark.parametrize("password", ["correct horse battery", "Bergsee im Herbstnebel", "7 Tannen am Fluss!"])
def test_good_passwords_are_accepted(password):
    assert passwords.problem(password, "100200") is None


def test_password_needs_12_characters():
    assert passwords.problem("kurz genug?", "100200") == passwords.TOO_SHORT
    assert passwords.problem("lang genug!!", "100200") is None


def test_password_has_an_upper_bound():
    assert passwords.problem("Berg " * 60, "100200") == passwords.TOO_LONG


@pytest.mark.parametrize("password", ["firma100200abc", "ABC-100200-xyz!", "Muster100200AG"])
def test_password_must_not_contain_the_member_number(password):
    assert passwords.problem(password, "100200") == passwords.HAS_MEMBER_NUMBER


@pytest.mark.parametrize("password", [
    "password1234", "Passwort2024!", "motdepasse123", "qwertzuiop12", "123456789012", "aaaaaaaaaaaaaa",
    "passwordpassword", "Willkommen123", "abcdefghijklmn", "!!Sommer2025!!", "121212121212",
])
def test_common_passwords_are_refused(password):
    assert passwords.problem(password, "100200") == passwords.TOO_COMMON


@pytest.mark.parametrize(("typed", "stored"), [
    ("079 123 45 67", "+41791234567"),
    ("+41 79 123 45 67", "+41791234567"),
    ("0041 79 123 45 67", "+41791234567"),
    ("+33 6 12 34 56 78", "+33612345678"),
])
def test_r7_mobile_numbers_are_stored_in_e164(typed, stored):
    assert normalise_mobile(typed) == stored


@pytest.mark.parametrize("typed", ["031 123 45 67", "12345", "not a number", "+41 79 123"])
def test_r7_landlines_and_invalid_numbers_are_refused(typed):
    with pytest.raises(InvalidMobile):
        normalise_mobile(typed)


def test_r9_ten_failed_passwords_in_5_minutes_throttle():
    limit = passwords.PASSWORD_LIMIT
    assert not limit.reached(9)
    assert limit.reached(10)
    assert limit.since(NOW) == NOW - timedelta(minutes=5)


def test_r9_five_failed_second_factors_in_5_minutes_throttle():
    limit = passwords.SECOND_FACTOR_LIMIT
    assert not limit.reached(4)
    assert limit.reached(5)
    assert limit.since(NOW) == NOW - timedelta(minutes=5)


def test_r10_first_administrator_gets_the_whole_catalogue():
    granted = rights.all_rights()
    assert granted == ["administration", "salary_declarations", "personnel_mutations", "family_allowances",
                       "income_compensation", "invoices_account", "correspondence"]
    assert rights.is_administrator(granted)
    assert not rights.is_administrator(["salary_declarations"])
