"""Registration codes (R2, R3, R4): generation, printing, reading and keyed hashing.

A code carries 80 random bits as 16 Crockford base32 characters. Only an HMAC over member and code is stored:
80 random bits need no slow hash, and a mass mailing must not spend a slow hash per letter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.domain.states import CodeStatus

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 16
GROUP = 4
DEFAULT_VALIDITY_DAYS = 21  # NIST SP 800-63B-4 §4.2.1.2: postal codes at most 21 days domestic
MAX_WRONG_PER_WINDOW = 5  # R3
WRONG_WINDOW = timedelta(minutes=15)
MAX_WRONG_IN_ALL = 100
# Crockford decoding: the look-alikes a person may type for a digit.
_READ_AS = {"I": "1", "L": "1", "O": "0"}


class InvalidCodeFormat(ValueError):
    """The typed text cannot be a code (wrong length or characters)."""


def generate() -> str:
    """A new code: 16 characters, 80 bits from the operating system's CSPRNG."""
    return random_characters(CODE_LENGTH)


def random_characters(count: int) -> str:
    """`count` characters of ALPHABET, 5 random bits each, from one read of the CSPRNG (a character drawn at a time
    would ask the operating system once per character)."""
    number = secrets.randbits(5 * count)
    return "".join(ALPHABET[(number >> shift) & 31] for shift in range(5 * (count - 1), -1, -5))


def printed(code: str) -> str:
    """The form printed on letters: XXXX-XXXX-XXXX-XXXX."""
    return "-".join(code[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def read(typed: str) -> str:
    """Normalise what a person typed: case, spaces and dashes do not matter; I/L read as 1 and O as 0."""
    text = "".join(ch for ch in typed.upper() if ch not in " -\t")
    text = "".join(_READ_AS.get(ch, ch) for ch in text)
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        raise InvalidCodeFormat("a code has 16 letters and digits, printed as XXXX-XXXX-XXXX-XXXX")
    return text


def keyed_hash(secret: str, member_number: str, code: str) -> str:
    """HMAC-SHA256 over member and code, so a stolen table cannot be tried against another member."""
    message = f"{member_number}\x1f{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def expires_on(letter_date: date, validity_days: int = DEFAULT_VALIDITY_DAYS) -> date:
    """The last day a code may be used: validity counts from the letter's date."""
    return letter_date + timedelta(days=validity_days)


@dataclass(frozen=True)
class CodeState:
    status: str  # issued, used, voided
    expires_on: date


def usable(code: CodeState, today: date) -> bool:
    """R2, R4: a code opens a registration once, and only until its expiry day."""
    return code.status == CodeStatus.ISSUED and today <= code.expires_on


def entry_blocked(recent_failures: list[datetime], now: datetime) -> bool:
    """R3: at most 5 wrong codes per member in any 15 minutes."""
    window_start = now - WRONG_WINDOW
    return sum(1 for at in recent_failures if at > window_start) >= MAX_WRONG_PER_WINDOW


def exhausted(total_failures: int) -> bool:
    """R3: after 100 wrong codes in all the member's code is voided and staff are told."""
    return total_failures >= MAX_WRONG_IN_ALL
