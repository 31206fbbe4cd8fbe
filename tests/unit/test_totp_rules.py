"""R8: TOTP with SHA-1, 6 digits, 30-second steps, ±1 step accepted, no code accepted twice."""

from __future__ import annotations

from base64 import b32decode
from datetime import UTC, datetime, timedelta

import pyotp

from core.domain import totp

NOW = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def test_r8_secret_has_at_least_160_bits():
    secret = totp.new_secret()
    assert len(b32decode(secret)) * 8 >= 160
    assert totp.new_secret() != secret


def test_r8_code_of_this_step_is_accepted_and_names_its_step():
    secret = totp.new_secret()
    assert totp.accepted_step(secret, _code(secret, NOW), NOW, 0) == STEP


def test_r8_one_step_either_side_is_accepted():
    secret = totp.new_secret()
    assert totp.accepted_step(secret, _code(secret, NOW - timedelta(seconds=30)), NOW, 0) == STEP - 1
    assert totp.accepted_step(secret, _code(secret, NOW + timedelta(seconds=30)), NOW, 0) == STEP + 1


def test_r8_two_steps_away_is_refused():
    secret = totp.new_secret()
    assert totp.accepted_step(secret, _code(secret, NOW - timedelta(seconds=60)), NOW, 0) is None
    assert totp.accepted_step(secret, _code(secret, NOW + timedelta(seconds=60)), NOW, 0) is None


def test_r8_a_code_is_not_accepted_twice():
    secret = totp.new_secret()
    code = _code(secret, NOW)
    step = totp.accepted_step(secret, code, NOW, 0)
    assert step is not None
    assert totp.accepted_step(secret, code, NOW, step) is None
    assert totp.accepted_step(secret, code, NOW + timedelta(seconds=20), step) is None


def test_r8_an_older_code_is_refused_after_a_newer_one_was_used():
    secret = totp.new_secret()
    newer = totp.accepted_step(secret, _code(secret, NOW + timedelta(seconds=30)), NOW, 0)
    assert newer == STEP + 1
    assert totp.accepted_step(secret, _code(secret, NOW), NOW, newer) is None


def test_r8_the_next_code_is_accepted_after_one_was_used():
    secret = totp.new_secret()
    used = totp.accepted_step(secret, _code(secret, NOW), NOW, 0)
    later = NOW + timedelta(seconds=30)
    assert totp.accepted_step(secret, _code(secret, later), later, used) == STEP + 1


def test_r8_spaces_are_ignored_and_other_text_refused():
    secret = totp.new_secret()
    code = _code(secret, NOW)
    assert totp.accepted_step(secret, f" {code[:3]} {code[3:]} ", NOW, 0) == STEP
    assert totp.accepted_step(secret, "12345", NOW, 0) is None
    assert totp.accepted_step(secret, "abcdef", NOW, 0) is None


def test_r8_a_code_of_another_secret_is_refused():
    mine, other = totp.new_secret(), totp.new_secret()
    assert totp.accepted_step(mine, _code(other, NOW), NOW, 0) is None


def test_r8_provisioning_uri_names_sha1_six_digits_thirty_seconds():
    uri = totp.provisioning_uri(totp.new_secret(), "anna@example.ch (100200)", "Ausgleichskasse Exfour connect")
    parsed = pyotp.parse_uri(uri)
    assert (parsed.digits, parsed.interval, parsed.digest().name) == (6, 30, "sha1")
    assert parsed.issuer == "Ausgleichskasse Exfour connect"
