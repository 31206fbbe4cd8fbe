"""R17, R19: a member's request that the fund deactivate logins of people who have left, checked before anything
is stored, and how the names the member gives are matched against the member's logins for staff.

The member's part (member number, UID, company, contact person) is checked as a new-code request is
(core.domain.requests); the logins are listed as the member knows them: a first and last name, an e-mail
address, or both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.domain import requests as member_part
from core.translatable import N_

MAX_ROWS = 20
NAME_MAX = 100
EMAIL_MAX = 254
REASON_MISSING = N_("Tell us briefly why these logins should end, for example that the people have left the company")
NO_ROWS = N_("List at least one login to deactivate")
TOO_MANY_ROWS = N_("List at most 20 logins in one request")  # MAX_ROWS
BAD_ROWS = N_("Send the logins as a list of objects with first_name, last_name and email")
NAME_OR_EMAIL = N_("Enter the person's first and last name, or the e-mail address of the login")
LAST_NAME_MISSING = N_("Enter the person's last name too, or the e-mail address of the login")
FIRST_NAME_MISSING = N_("Enter the person's first name too, or the e-mail address of the login")
NAME_TOO_LONG = N_("A name must be 100 characters or fewer")  # NAME_MAX
ROW_FIELDS = ("first_name", "last_name", "email")


@dataclass(frozen=True)
class NamedLogin:
    """A login as the member names it; any part may be empty, but not the name and the e-mail both."""

    first_name: str
    last_name: str
    email: str

    def label(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name and self.email else name or self.email

    def as_details(self) -> dict[str, str]:
        return {"first_name": self.first_name, "last_name": self.last_name, "email": self.email}


def listed(payload: Mapping[str, Any]) -> list[NamedLogin]:
    """The logins a member's own request listed, as a case keeps them (its payload's "asked" rows)."""
    return [NamedLogin(**row) for row in payload.get("asked", [])]


@dataclass(frozen=True)
class StaleLoginsRequest:
    member: member_part.NewCodeRequest  # the member's part; reason: why these logins should end
    logins: tuple[NamedLogin, ...]


def parse_stale_logins(raw: Mapping[str, object]) -> StaleLoginsRequest:
    """Every field checked at once; InvalidRequest names each bad one, a row's fields as `logins.<n>.<field>`
    counted from 0 (English source strings)."""
    errors: dict[str, str] = {}
    member = None
    try:
        member = member_part.parse_new_code({**raw, "administrators_cannot_help": False})
    except member_part.InvalidRequest as invalid:
        errors.update(invalid.errors)
        if errors.get("reason") == member_part.MISSING["reason"]:
            errors["reason"] = REASON_MISSING
    logins = _rows(raw.get("logins"), errors)
    if errors or member is None:
        raise member_part.InvalidRequest(errors)
    return StaleLoginsRequest(member, logins)


def _rows(value: object, errors: dict[str, str]) -> tuple[NamedLogin, ...]:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        errors["logins"] = BAD_ROWS
        return ()
    if not value:
        errors["logins"] = NO_ROWS
        return ()
    if len(value) > MAX_ROWS:
        errors["logins"] = TOO_MANY_ROWS
        return ()
    found = []
    for number, row in enumerate(value):
        if set(row) - set(ROW_FIELDS):
            errors[f"logins.{number}"] = BAD_ROWS
            continue
        login = _row(row, f"logins.{number}", errors)
        if login is not None:
            found.append(login)
    return tuple(found)


def _row(row: Mapping[str, object], prefix: str, errors: dict[str, str]) -> NamedLogin | None:
    text: dict[str, str] = {}
    for name in ROW_FIELDS:
        value = row.get(name, "")
        limit = EMAIL_MAX if name == "email" else NAME_MAX
        if not isinstance(value, str):
            errors[f"{prefix}.{name}"] = member_part.NOT_TEXT
        elif len(value) > limit:
            errors[f"{prefix}.{name}"] = member_part.TOO_LONG["requester_email"] if name == "email" else NAME_TOO_LONG
        elif not re.fullmatch(member_part.ONE_LINE, value) or not member_part._storable(value):
            errors[f"{prefix}.{name}"] = member_part.CONTROL_CHARACTERS
        else:
            text[name] = value.strip()
    if len(text) < len(ROW_FIELDS):
        return None
    if text["email"]:
        try:
            text["email"] = member_part._email(text["email"])
        except member_part.InvalidField as exc:
            errors[f"{prefix}.email"] = exc.message
            return None
    elif not text["first_name"] and not text["last_name"]:
        errors[f"{prefix}.first_name"] = NAME_OR_EMAIL
        return None
    elif not text["last_name"]:
        errors[f"{prefix}.last_name"] = LAST_NAME_MISSING
        return None
    elif not text["first_name"]:
        errors[f"{prefix}.first_name"] = FIRST_NAME_MISSING
        return None
    return NamedLogin(text["first_name"], text["last_name"], text["email"])


# --- Matching the listed names against the member's logins, for the clerk ---------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Names compared without case, accents or word order: "Müller Hans" is "hans mueller"'s login too."""
    plain = unicodedata.normalize("NFKD", text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue"))
    return tuple(sorted(re.findall(r"[a-z0-9]+", "".join(ch for ch in plain if not unicodedata.combining(ch)))))


def matches(asked: NamedLogin, login_name: str, login_email: str) -> bool:
    if asked.email and asked.email.casefold() == login_email.strip().casefold():
        return True
    name = f"{asked.first_name} {asked.last_name}"
    return bool(asked.first_name and asked.last_name) and _words(name) == _words(login_name)


def matched_ids(asked: Sequence[NamedLogin], logins: Sequence[tuple[int, str, str]]) -> list[int]:
    """The ids of the member's logins (id, name, e-mail) that one of the listed rows names, in the logins' order."""
    return [login_id for login_id, name, email in logins if any(matches(row, name, email) for row in asked)]


# --- The decision: every request reaches a person at the fund -------------------------------------------------

NO_ADMINISTRATOR_WHY = N_("the member asks the fund to deactivate logins of people who have left")  # R17


def decide(facts: member_part.Facts) -> member_part.Decision:
    """R17: only staff deactivate, and only while the member has no active administrator. Every request becomes a
    case, whatever matched, so the requester's side of it reads the same (R21); the case says why it is doubtful."""
    if not facts.member_known:
        why = N_("no member with this member number")
    elif not facts.uid_matches:
        why = N_("the UID does not match the member register")
    elif facts.active_administrators > 0:
        why = N_("the member has an active administrator, who deactivates logins: reject, and tell the member")
    else:
        why = NO_ADMINISTRATOR_WHY
    return member_part.Decision(member_part.Outcome.STAFF_CASE, why)
