"""Rules for the fund's staff accounts and desk: roles and what each may decide, passwords, usernames, login
throttling (R9), and the keyset cursor that pages through cases without OFFSET (a desk with 200,000 cases stays
fast)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Staff sign in under the members' limits (R9): one definition, re-exported here for the desk.
from core.domain.passwords import PASSWORD_LIMIT as PASSWORD_LIMIT
from core.domain.passwords import PENDING_FOR as PENDING_FOR
from core.domain.passwords import SECOND_FACTOR_LIMIT as SECOND_FACTOR_LIMIT

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; this only bounds the work one request can cause
ROLES = ("clerk", "supervisor")

# Cases whose decision registers or removes a member's access on the fund's own word (R16 exceptional
# registration, R17 deactivation of stale logins): a supervisor decides them. Everything else a clerk decides.
SUPERVISOR_KINDS = frozenset({"exceptional_registration", "stale_logins"})


def may_decide(role: str, kind: str) -> bool:
    """Whether a staff member with this role may approve, reject or close a case of this kind."""
    if role == "supervisor":
        return True
    return role == "clerk" and kind not in SUPERVISOR_KINDS


def decider_roles(kind: str) -> tuple[str, ...]:
    """The roles that may decide a case of this kind (whom to tell that one waits)."""
    return tuple(role for role in ROLES if may_decide(role, kind))
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,58}[a-z0-9]")


def username_problem(username: str) -> str | None:
    if not _USERNAME.fullmatch(username):
        return "a username is 3–60 characters: lower-case letters, digits, '.', '_' or '-'"
    return None


def password_problem(password: str, username: str) -> str | None:
    """Why a staff password is refused, or None. Length is what counts (NIST SP 800-63B-4 §3.1.1.2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    if len(set(password)) < 4:
        return "the password repeats too few different characters"
    if username and username.lower() in password.lower():
        return "the password must not contain the username"
    return None


# R9: the same limits as for member logins, written once.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """A position in a list ordered by (created_at, id): the last row seen."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)  # exact, unlike float timestamps
        return f"{micros}.{self.id}"


def decode_cursor(raw: str | None) -> Cursor | None:
    """The cursor in a page link, or None when it is missing or not one of ours."""
    if not raw:
        return None
    micros, dot, ident = raw.partition(".")
    if not dot or not micros.isdigit() or not ident.isdigit() or len(raw) > 40:
        return None
    try:
        at = EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return Cursor(at, int(ident))
