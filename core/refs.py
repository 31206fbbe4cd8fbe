"""Public references: short, random, unambiguous (Crockford base32), safe to read out on the phone."""

from __future__ import annotations

import re

from core.domain.codes import random_characters


def new(prefix: str, length: int = 8) -> str:
    body = random_characters(length)
    return f"{prefix}-{body[:4]}-{body[4:]}"


_TYPED = re.compile(r"^([A-Z])-?([0-9A-Z]{4})-?([0-9A-Z]{4})$")


def normalise(raw: str) -> str:
    """A reference as staff type it or a scanner sends it (any case, spaces, with or without the dashes) in its
    printed form; anything else compact and upper-case."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    found = _TYPED.match(compact)
    return f"{found.group(1)}-{found.group(2)}-{found.group(3)}" if found else compact


def looks_like_one(text: str) -> bool:
    return _TYPED.match(text) is not None
