"""R5, R15: how a member's request for a new code, or for a code sent to its trustee, is decided."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.domain.identifiers import MEMBER_NUMBER_MAX, InvalidIdentifier, normalise_member_number, normalise_uid
from core.translatable import N_


class Outcome(StrEnum):
    ISSUE_CODE = "issue_code"  # no active administrator, identity matches: a code by post
    TELL_ADMINISTRATORS = "tell_administrators"  # an administrator can help: they are e-mailed
    STAFF_CASE = "staff_case"  # anything doubtful goes to a person at the fund
    WAY_A = "way_a"  # a trustee code while an administrator is active: the administrator opens the access


class PublicStatus(StrEnum):
    """The request's own progress, for the worker and staff. Never shown to the public: it moves at once for a
    matching request and waits for staff otherwise (R21); the public sees core.domain.request_status."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Facts:
    member_known: bool
    uid_matches: bool
    active_administrators: int
    exhausted: bool = False  # R3: the member's code entry was blocked after too many wrong codes
    administrators_cannot_help: bool = False  # the request says why its administrators cannot act
    letter_in_post: bool = False  # R21: a letter with a code went to the member less than LETTER_PAUSE_DAYS ago


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    why: str


LETTER_PAUSE_DAYS = 7
LETTER_IN_POST = N_("a letter with a code went to this member less than 7 days ago")


def decide_new_code(facts: Facts) -> Decision:
    if not facts.member_known:
        return Decision(Outcome.STAFF_CASE, N_("no member with this member number"))
    if not facts.uid_matches:
        return Decision(Outcome.STAFF_CASE, N_("the UID does not match the member register"))
    if facts.exhausted:
        return Decision(Outcome.STAFF_CASE, N_("too many wrong codes were entered for this member"))
    if facts.active_administrators > 0 and facts.administrators_cannot_help:
        return Decision(Outcome.STAFF_CASE, N_("an administrator is active, but the request says why they cannot help"))
    if facts.active_administrators > 0:
        return Decision(Outcome.TELL_ADMINISTRATORS, N_("the member has an active administrator"))
    if facts.letter_in_post:
        # R21: anyone can ask, UIDs are public; a second letter would void the code already in the post.
        return Decision(Outcome.STAFF_CASE, LETTER_IN_POST)
    return Decision(Outcome.ISSUE_CODE, N_("no active administrator; member number and UID match"))


def decide_trustee_code(facts: Facts) -> Decision:
    """R15: a code goes to a trustee only with staff approval, always. Where the member's own administrator can
    open the access (Situation 3 (a)), the request ends with that answer instead."""
    if facts.member_known and facts.uid_matches and facts.active_administrators > 0:
        return Decision(Outcome.WAY_A, N_("the member has an active administrator, who can give the trustee access"))
    if not facts.member_known:
        return Decision(Outcome.STAFF_CASE, N_("no member with this member number"))
    if not facts.uid_matches:
        return Decision(Outcome.STAFF_CASE, N_("the UID does not match the member register"))
    return Decision(Outcome.STAFF_CASE, N_("a code for a trustee needs staff approval and a power of attorney"))


# --- The request itself, checked before anything is stored (R19) ---------------------------------------------
#
# The same checks serve the public form and the JSON API, and the API's OpenAPI schema states them, so every
# limit here is one a schema can express (checked on the raw text) or stricter. Error messages are English
# source strings: the web layer translates them, the API returns them as they are.

LANGUAGES = ("de", "fr", "it", "en")
MAX_LENGTHS = {"member_number": MEMBER_NUMBER_MAX, "uid": 30, "company_name": 200, "requester_name": 200,
               "requester_role": 200, "requester_email": 254, "requester_phone": 30, "reason": 2000}
# Printable text on one line; the reason may also hold line breaks and tabs. PostgreSQL cannot store NUL.
# Besides the ASCII control characters, the characters that make a stored name or note read differently on the page
# or in a letter's window from what a person typed and signed off: the C1 controls (U+0085 is a line break), the
# line and paragraph separators, zero-width and joiner characters, the byte order mark, interlinear annotations,
# and the bidirectional marks, overrides and isolates ("Sophie \u202eDupont" shows as "Sophie tnopuD").
INVISIBLE_CONTROLS = (r"\u0080-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
                      r"\ufff9-\ufffb")
ONE_LINE = rf"^[^\u0000-\u001f\u007f{INVISIBLE_CONTROLS}]*$"
MULTI_LINE = rf"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f{INVISIBLE_CONTROLS}]*$"
UID_PATTERN = r"^ *[Cc][Hh][Ee][-. ]?[0-9]{3}[. ]?[0-9]{3}[. ]?[0-9]{3} *$"
PHONE_PATTERN = r"^[0-9 +()./-]*$"
REFERENCE_PATTERN = r"^[A-Za-z]-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$"  # core.refs: R-XXXX-XXXX, read case-insensitively

MISSING = {
    "member_number": N_("Enter your member number"),
    "uid": N_("Enter your company's UID"),
    "company_name": N_("Enter your company's name"),
    "requester_name": N_("Enter your name"),
    "requester_role": N_("Enter your role in the company"),
    "requester_email": N_("Enter your e-mail address"),
    "reason": N_("Tell us why nobody in your company can create logins"),
}
TOO_LONG = {
    "member_number": N_("Member number must be 20 characters or fewer"),
    "uid": N_("Enter a valid UID, like CHE-123.456.789"),
    "company_name": N_("Company name must be 200 characters or fewer"),
    "requester_name": N_("Your name must be 200 characters or fewer"),
    "requester_role": N_("Your role must be 200 characters or fewer"),
    "requester_email": N_("E-mail address must be 254 characters or fewer"),
    "requester_phone": N_("Enter a phone number, like 031 123 45 67 or +41 31 123 45 67"),
    "reason": N_("The reason must be 2000 characters or fewer"),
}
NOT_TEXT = N_("Enter text")
CONTROL_CHARACTERS = N_("This contains characters we cannot accept")
BAD_UID = N_("Enter a valid UID, like CHE-123.456.789")
BAD_EMAIL = N_("Enter an e-mail address in the correct format, like name@example.ch")
BAD_PHONE = N_("Enter a phone number, like 031 123 45 67 or +41 31 123 45 67")
BAD_FLAG = N_("Answer yes or no")
BAD_LANGUAGE = N_("Choose German, French, Italian or English")


@dataclass(frozen=True)
class NewCodeRequest:
    """A valid request for a new code, normalised: UID printed form, e-mail normalised, phone in E.164."""

    member_number: str
    uid: str
    company_name: str
    requester_name: str
    requester_role: str
    requester_email: str
    requester_phone: str  # "" when not given
    reason: str
    administrators_cannot_help: bool
    language: str


class InvalidRequest(ValueError):
    """One message per bad field, keyed by the field's name in NewCodeRequest."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


def parse_new_code(raw: Mapping[str, object]) -> NewCodeRequest:
    """Check every field at once (so a person sees every problem in one go) and return the normalised request."""
    errors: dict[str, str] = {}
    text = {name: _text(raw, name, errors) for name in MAX_LENGTHS}
    values = {
        "member_number": _checked(text, "member_number", errors, _member_number),
        "uid": _checked(text, "uid", errors, _uid),
        "company_name": _checked(text, "company_name", errors, str.strip),
        "requester_name": _checked(text, "requester_name", errors, str.strip),
        "requester_role": _checked(text, "requester_role", errors, str.strip),
        "requester_email": _checked(text, "requester_email", errors, _email),
        "requester_phone": _checked(text, "requester_phone", errors, _phone),
        "reason": _checked(text, "reason", errors, str.strip),
    }
    flag = raw.get("administrators_cannot_help", False)
    if not isinstance(flag, bool):
        errors["administrators_cannot_help"] = BAD_FLAG
    language = raw.get("language", "de")
    if language not in LANGUAGES:
        errors["language"] = BAD_LANGUAGE
    if errors:
        raise InvalidRequest(errors)
    return NewCodeRequest(**values, administrators_cannot_help=bool(flag), language=str(language))


def _text(raw: Mapping[str, object], name: str, errors: dict[str, str]) -> str | None:
    value = raw.get(name, "")
    if not isinstance(value, str):
        errors[name] = NOT_TEXT
        return None
    if len(value) > MAX_LENGTHS[name]:
        errors[name] = TOO_LONG[name]
        return None
    if not re.fullmatch(MULTI_LINE if name == "reason" else ONE_LINE, value) or not _storable(value):
        errors[name] = CONTROL_CHARACTERS
        return None
    return value


def _storable(value: str) -> bool:
    try:  # a lone surrogate from JSON's \ud800 cannot be written as UTF-8
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked(text: dict[str, str | None], name: str, errors: dict[str, str],
             normalise: Callable[[str], str]) -> str:
    value = text[name]
    if value is None:
        return ""
    if not value.strip():
        if name in MISSING:
            errors[name] = MISSING[name]
        return ""
    try:
        result = normalise(value)
    except InvalidField as exc:
        errors[name] = exc.message
        return ""
    if not result and name in MISSING:
        errors[name] = MISSING[name]
    return result


class InvalidField(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _member_number(value: str) -> str:
    try:
        return normalise_member_number(value)
    except InvalidIdentifier as exc:
        raise InvalidField(TOO_LONG["member_number"]) from exc


def _uid(value: str) -> str:
    if not re.fullmatch(UID_PATTERN, value):
        raise InvalidField(BAD_UID)
    try:
        return normalise_uid(value)
    except InvalidIdentifier as exc:
        raise InvalidField(BAD_UID) from exc


def _email(value: str) -> str:
    try:  # syntax only: a deliverability check would make intake depend on DNS
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidField(BAD_EMAIL) from exc


def _phone(value: str) -> str:
    if not re.fullmatch(PHONE_PATTERN, value):
        raise InvalidField(BAD_PHONE)
    try:
        number = phonenumbers.parse(value, "CH")
    except phonenumbers.NumberParseException as exc:
        raise InvalidField(BAD_PHONE) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidField(BAD_PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
