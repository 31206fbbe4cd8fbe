"""Rules for managing a member's logins: who grants which rights (R10), when a login may end (R11), and that a
member keeps an administrator (R12). Pure: the caller passes the logins as the rules need to see them, and today.

Messages are English source strings for the page translations.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import phonenumbers

from core.domain import rights as catalogue
from core.domain.states import InvitationStatus, LoginStatus
from core.translatable import N_

# R10
NOT_IN_CATALOGUE = N_("Choose rights from the list only.")
NOT_YOURS_TO_GRANT = N_("You cannot give a right you do not hold yourself: {rights}.")
ONLY_ADMINISTRATORS = N_("Only administrators manage logins.")
# R11
DAY_IN_THE_PAST = N_("The last working day cannot be in the past. Choose today or a later date.")
# R12, Situation 1: the refusal says what to do instead.
LAST_ADMINISTRATOR_SELF = (
    N_("You cannot leave yet: no other administrator of your company would stay on after you (administrators who "
       "have a last working day themselves do not count). First open User administration, choose New login and create "
       "the login of your successor with the administration right. Once your successor has finished the registration "
       "(password and authenticator app), you can deactivate your own login.")
)
LAST_ADMINISTRATOR_OTHER = (
    N_("{name} cannot be deactivated yet: no other administrator of your company would stay on, so nobody would be "
       "left to manage its logins (administrators who have a last working day themselves do not count). First create "
       "the login of a successor with the administration right (User administration, New login) and wait until the "
       "successor has finished the registration; then try again.")
)

# R12 when the administration right itself is taken away, not the login.
LAST_ADMINISTRATOR_RIGHT_SELF = (
    N_("You cannot give up the administration right yet: no other administrator of your company would stay on "
       "(administrators who have a last working day themselves do not count). First create the login of your successor "
       "with the administration right (User administration, New login) and wait until your successor has finished "
       "the registration; then try again.")
)
LAST_ADMINISTRATOR_RIGHT_OTHER = (
    N_("{name} cannot lose the administration right yet: no other administrator of your company would stay on "
       "(administrators who have a last working day themselves do not count). First create the login of a successor "
       "with the administration right (User administration, New login) and wait until the successor has finished the "
       "registration; then try again.")
)


class GrantRefused(ValueError):
    """R10: the rights asked for cannot be given by this editor."""


def granted_rights(editor_rights: Iterable[str], before: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """R10: the rights a login holds after an editor asked for `wanted`, in catalogue order.

    Only an administrator edits rights. Nobody grants a right they lack: a right the editor lacks can be neither
    added nor removed by them (the page shows it but does not let them change it), so it stays as it was."""
    editor, old, asked = set(editor_rights), set(before), set(wanted)
    if not catalogue.is_administrator(list(editor)):
        raise GrantRefused(ONLY_ADMINISTRATORS)
    if not asked <= set(catalogue.CATALOGUE):
        raise GrantRefused(NOT_IN_CATALOGUE)
    beyond = (asked - old) - editor
    if beyond:
        labels = ", ".join(catalogue.label(right) for right in catalogue.CATALOGUE if right in beyond)
        raise GrantRefused(NOT_YOURS_TO_GRANT.format(rights=labels))
    result = (asked & editor) | (old - editor)
    return [right for right in catalogue.CATALOGUE if right in result]


def last_day_problem(last_day: date, today: date) -> str | None:
    """R11: a login ends today at the earliest (it then works until midnight, Zurich time)."""
    return DAY_IN_THE_PAST if last_day < today else None


@dataclass(frozen=True)
class Colleague:
    """A login of the member, as R12 sees it."""

    id: int
    status: str
    rights: tuple[str, ...]
    last_day: date | None


def administration_ends(today: date, last_day: date | None) -> date:
    """The last day on which a login keeps administering: `last_day`, or yesterday when it ends now."""
    return last_day if last_day is not None else today - timedelta(days=1)


def leaves_no_administrator(colleagues: Iterable[Colleague], login_id: int, ends: date) -> bool:
    """R12: would ending `login_id`'s administration after `ends` leave the member without an administrator?

    Another administrator takes over only if they are active and stay on: one with a last working day of their
    own would leave the member without anybody once they go too, however the dates fall, and a successor still
    being invited cannot log in yet. Moving one's own last day later never takes an administrator away."""
    colleagues = list(colleagues)
    mine = next((c for c in colleagues if c.id == login_id), None)
    if mine is not None and mine.last_day is not None and ends >= mine.last_day:
        return False
    return not any(
        other.id != login_id and other.status == LoginStatus.ACTIVE and catalogue.is_administrator(list(other.rights))
        and other.last_day is None
        for other in colleagues
    )


def is_active_administrator(colleague: Colleague, today: date) -> bool:
    return colleague.status == LoginStatus.ACTIVE and catalogue.is_administrator(list(colleague.rights)) \
        and (colleague.last_day is None or colleague.last_day >= today)


class Standing(StrEnum):
    """How a login stands today, for lists and details."""

    INVITED = "invited"  # created by an administrator, registration not finished
    ACTIVE = "active"
    ENDING = "ending"  # active, with a last working day set
    DEACTIVATED = "deactivated"


def standing(status: str, last_day: date | None, today: date) -> Standing:
    if status == LoginStatus.PENDING:
        return Standing.INVITED
    if status != LoginStatus.ACTIVE or (last_day is not None and last_day < today):
        return Standing.DEACTIVATED  # past its last day: refused already, even before the sweep records it
    return Standing.ENDING if last_day is not None else Standing.ACTIVE


def masked_mobile(e164: str) -> str:
    """+41791234567 as "+41 79 *** ** 67": enough to recognise one's own number, not enough to call it."""
    try:
        shown = phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return "***"
    groups = shown.split(" ")
    if len(groups) < 3:
        return groups[0] + " ***"
    kept_head = " ".join(groups[:2])
    rest = " ".join(groups[2:])
    digits_seen = sum(ch.isdigit() for ch in rest)
    masked, seen = [], 0
    for ch in rest:
        if ch.isdigit():
            seen += 1
            masked.append(ch if seen > digits_seen - 2 else "*")
        else:
            masked.append(ch)
    return f"{kept_head} {''.join(masked)}"


# Invitations: a random link, kept only as its hash, that works once within 72 hours.
INVITATION_VALID_FOR = timedelta(hours=72)
TOKEN_BYTES = 32


def new_invitation_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def invitation_token_hash(token: str) -> str:
    """256 random bits need no slow or keyed hash: nobody can guess a token from its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_open(status: str, expires_at: datetime, now: datetime) -> bool:
    return status == InvitationStatus.PENDING and now < expires_at
