"""Rules for member login passwords and sign-in throttling (R8, R9).

Length is what makes a password strong (NIST SP 800-63B-4 §3.1.1.2): at least 12 characters, no composition
rules, but refuse the passwords attackers try first and the member's own number.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.translatable import N_

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; this only bounds the work one request can cause

# Words people build "long" passwords from; a password that is one of these plus digits or symbols is refused.
_COMMON_WORDS = frozenset({
    "password", "passwort", "passwords", "motdepasse", "parola", "parolachiave", "qwerty", "qwertz", "azerty",
    "qwertyuiop", "qwertzuiop", "azertyuiop", "asdfghjkl", "yxcvbnm", "zxcvbnm", "letmein", "welcome",
    "willkommen", "bienvenue", "benvenuto", "iloveyou", "admin", "administrator", "administrateur",
    "amministratore", "sommer", "summer", "winter", "fruehling", "frühling", "herbst", "football", "fussball",
    "baseball", "princess", "sunshine", "dragon", "monkey", "master", "shadow", "secret", "geheim", "hallo",
    "bonjour", "ciao", "schweiz", "suisse", "svizzera", "switzerland", "connect", "ausgleichskasse", "changeme",
    "trustno1", "superman", "batman", "starwars", "loveyou", "abc", "abcdef",
})
_SEQUENCES = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyz", "qwertzuiopasdfghjklyxcvbnm",
              "qwertyuiopasdfghjklzxcvbnm", "azertyuiopqsdfghjklmwxcvbn")
_DECORATION = string.digits + string.punctuation + string.whitespace  # "!!Sommer2024!!" is "sommer"

# Reasons, as English source strings for the page translations.
TOO_SHORT = N_("Your password must have at least 12 characters.")
TOO_LONG = N_("Your password must have at most 256 characters.")
HAS_MEMBER_NUMBER = N_("Your password must not contain your member number.")
TOO_COMMON = N_("This password is too common and easy to guess. Choose a longer or less usual one.")


def problem(password: str, member_number: str = "") -> str | None:
    """Why this password is refused, or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    number = member_number.strip().lower()
    if len(number) >= 3 and number in password.lower():
        return HAS_MEMBER_NUMBER
    if is_common(password):
        return TOO_COMMON
    return None


def is_common(password: str) -> bool:
    """A password built from one common word, one repeated character, or a keyboard or number run."""
    text = password.lower()
    if len(set(text)) <= 2:
        return True
    if any(text in run or text in run[::-1] for run in _SEQUENCES):
        return True
    core = text.strip(_DECORATION)
    if not core or core in _COMMON_WORDS:
        return True
    # "passwordpassword", "sommer2024sommer": a common word repeated.
    return any(core == word * (len(core) // len(word)) for word in _COMMON_WORDS if len(core) % len(word) == 0)


@dataclass(frozen=True)
class Limit:
    """At most `failures` failures within `window`; more are refused until old ones leave the window."""

    failures: int
    window: timedelta

    def since(self, now: datetime) -> datetime:
        return now - self.window

    def reached(self, failures: int) -> bool:
        return failures >= self.failures


# R9: 10 failed passwords per 5 minutes per login and per IP; 5 failed second factors per 5 minutes.
PASSWORD_LIMIT = Limit(10, timedelta(minutes=5))
SECOND_FACTOR_LIMIT = Limit(5, timedelta(minutes=5))
# How long a correct password keeps the second-step page open.
PENDING_FOR = timedelta(minutes=5)
