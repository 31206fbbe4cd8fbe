"""R8 second factors besides the authenticator app: SMS one-time codes and recovery codes (pure rules).

SMS codes: 6 digits, valid 5 minutes, single use, a resend replaces the earlier code, at most 5 sends per hour
per subject and purpose, 5 wrong entries void the code. Recovery codes: eight per login, 65 random bits each
as 13 Crockford base32 characters (XXXX-XXXX-XXXXX), each works once. Both are kept only as keyed hashes: they
are random, so an HMAC is as good as a slow hash here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.domain.codes import ALPHABET
from core.domain.states import SmsCodeStatus

SMS_DIGITS = 6
SMS_VALID_FOR = timedelta(minutes=5)
SMS_SENDS_PER_HOUR = 5
SMS_SEND_WINDOW = timedelta(hours=1)
SMS_MAX_WRONG = 5

RECOVERY_COUNT = 8
RECOVERY_LENGTH = 13  # 13 × 5 = 65 bits
RECOVERY_GROUPS = (4, 4, 5)
_READ_AS = {"I": "1", "L": "1", "O": "0"}


def new_sms_code() -> str:
    return f"{secrets.randbelow(10 ** SMS_DIGITS):0{SMS_DIGITS}d}"


def normalise_sms_code(typed: str) -> str:
    return "".join(ch for ch in typed if not ch.isspace())


def keyed_hash(secret: str, *parts: str) -> str:
    """HMAC-SHA256 over the parts, so a stolen table cannot be tried against another subject or purpose."""
    return hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def sends_left(sent_in_last_hour: int) -> bool:
    return sent_in_last_hour < SMS_SENDS_PER_HOUR


class SmsCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"  # the code was accepted before: single use
    VOID = "void"  # too many wrong entries: a new code must be sent
    NONE = "none"  # no code was sent


@dataclass(frozen=True)
class SmsCodeState:
    status: str  # active, used, replaced, void
    expires_at: datetime
    failures: int


def judge_sms_code(state: SmsCodeState | None, matches: bool, now: datetime) -> SmsCheck:
    """What entering a code means for the latest code sent. `matches`: the typed code is this code."""
    if state is None:
        return SmsCheck.NONE
    if state.status == SmsCodeStatus.USED:
        return SmsCheck.USED if matches else SmsCheck.WRONG
    if state.status == SmsCodeStatus.VOID or state.failures >= SMS_MAX_WRONG:
        return SmsCheck.VOID
    if now >= state.expires_at:
        return SmsCheck.EXPIRED
    return SmsCheck.OK if matches else SmsCheck.WRONG


def void_after(failures: int) -> bool:
    return failures >= SMS_MAX_WRONG


def new_recovery_codes() -> list[str]:
    """Eight codes, each 65 bits from the operating system's CSPRNG, in canonical (unformatted) form."""
    codes: set[str] = set()
    while len(codes) < RECOVERY_COUNT:
        number = secrets.randbits(RECOVERY_LENGTH * 5)
        codes.add("".join(ALPHABET[(number >> shift) & 31] for shift in range(5 * (RECOVERY_LENGTH - 1), -1, -5)))
    return sorted(codes)


def show_recovery_code(code: str) -> str:
    """XXXX-XXXX-XXXXX: groups a person can copy without losing their place."""
    parts, start = [], 0
    for size in RECOVERY_GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def read_recovery_code(typed: str) -> str | None:
    """The canonical code from what a person typed (case, spaces, dashes and I/L/O look-alikes ignored),
    or None when it cannot be a recovery code."""
    text = "".join(ch for ch in typed.upper() if ch not in " -\t")
    text = "".join(_READ_AS.get(ch, ch) for ch in text)
    if len(text) != RECOVERY_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def looks_like_recovery_code(typed: str) -> bool:
    return read_recovery_code(typed) is not None
