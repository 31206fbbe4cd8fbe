"""R19: identifiers the fund receives are checked before anything is stored."""

from __future__ import annotations

from stdnum.ch import ssn, uid

MEMBER_NUMBER_MAX = 20


class InvalidIdentifier(ValueError):
    pass


def normalise_uid(text: str) -> str:
    """A valid UID in its printed form CHE-123.456.789, or InvalidIdentifier naming what is wrong."""
    try:
        return uid.format(uid.validate(text))
    except Exception as exc:  # stdnum raises several ValidationError subclasses
        raise InvalidIdentifier(f"'{text}' is not a valid UID (CHE-123.456.789 with its check digit)") from exc


def normalise_ahv(text: str) -> str:
    try:
        return ssn.format(ssn.validate(text))
    except Exception as exc:
        raise InvalidIdentifier(f"'{text}' is not a valid AHV number (756.xxxx.xxxx.xx)") from exc


def normalise_member_number(text: str) -> str:
    value = text.strip()
    if not value:
        raise InvalidIdentifier("the member number is missing")
    if len(value) > MEMBER_NUMBER_MAX:
        raise InvalidIdentifier(f"a member number has at most {MEMBER_NUMBER_MAX} characters")
    return value
