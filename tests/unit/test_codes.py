import re
from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain import codes
from core.domain.states import CodeStatus


def test_r2_code_has_16_crockford_characters_and_80_bits():
    code = codes.generate()
    assert len(code) == 16
    assert set(code) <= set(codes.ALPHABET)
    assert not set("ILOU") & set(code)
    assert len(codes.ALPHABET) ** codes.CODE_LENGTH == 2**80


def test_r2_codes_do_not_repeat():
    assert len({codes.generate() for _ in range(2000)}) == 2000


def test_r2_printed_in_four_groups():
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", codes.printed(codes.generate()))
    assert codes.printed("ABCD0123EFGH4567") == "ABCD-0123-EFGH-4567"


@pytest.mark.parametrize("typed", ["abcd-0123-efgh-4567", " ABCD 0123 EFGH 4567 ", "abcd0123efgh4567"])
def test_r2_read_case_insensitively_with_or_without_dashes(typed):
    assert codes.read(typed) == "ABCD0123EFGH4567"


def test_r2_look_alike_letters_read_as_digits():
    assert codes.read("ABCD-O123-EFGH-4567") == "ABCD0123EFGH4567"
    assert codes.read("ABCD-I123-EFGH-4567") == codes.read("ABCD-L123-EFGH-4567") == "ABCD1123EFGH4567"


@pytest.mark.parametrize("typed", ["", "ABCD-0123", "ABCD-0123-EFGH-4567-8", "ABCD-0123-EFGH-456U"])
def test_r2_wrong_format_is_refused(typed):
    with pytest.raises(codes.InvalidCodeFormat):
        codes.read(typed)


def test_r2_hash_is_keyed_and_bound_to_member():
    h = codes.keyed_hash("secret", "100001", "ABCD0123EFGH4567")
    assert h != codes.keyed_hash("other", "100001", "ABCD0123EFGH4567")
    assert h != codes.keyed_hash("secret", "100002", "ABCD0123EFGH4567")
    assert "ABCD0123EFGH4567" not in h and len(h) == 64


def test_r2_valid_21_days_from_the_letter_date():
    assert codes.expires_on(date(2026, 11, 26)) == date(2026, 12, 17)
    state = codes.CodeState(CodeStatus.ISSUED, date(2026, 12, 17))
    assert codes.usable(state, date(2026, 12, 17))
    assert not codes.usable(state, date(2026, 12, 18))


@pytest.mark.parametrize("status", [CodeStatus.USED, CodeStatus.VOIDED])
def test_r2_r4_used_or_voided_code_is_not_usable(status):
    assert not codes.usable(codes.CodeState(status, date(2030, 1, 1)), date(2026, 1, 1))


def test_r3_five_wrong_codes_in_15_minutes_block_entry():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    four = [now - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert not codes.entry_blocked(four, now)
    assert codes.entry_blocked([*four, now - timedelta(minutes=14)], now)
    assert not codes.entry_blocked([*four, now - timedelta(minutes=16)], now)


def test_r3_hundred_wrong_codes_exhaust():
    assert not codes.exhausted(99)
    assert codes.exhausted(100)
