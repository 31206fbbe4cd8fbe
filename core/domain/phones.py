"""R7: every login has a mobile number for two-step login, kept in E.164 form."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CH"
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class InvalidMobile(ValueError):
    """The number cannot be a mobile number."""


def normalise_mobile(text: str) -> str:
    """The number in E.164 (+41791234567). Swiss numbers may be typed without the country code."""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidMobile("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidMobile("not a valid phone number")
    # Two-step login by SMS needs a number that can receive text messages.
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidMobile("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
