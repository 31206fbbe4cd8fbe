"""Public references: short, random, unambiguous (Crockford base32), safe to read out on the phone."""

from __future__ import annotations

import secrets

from core.domain.codes import ALPHABET


def new(prefix: str, length: int = 8) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return f"{prefix}-{body[:4]}-{body[4:]}"
