"""What a journey of several pages needs, whether it starts from a registration code (web/public/registration.py)
or from an invitation link (web/public/invitation.py): its state in the session for a limited time, and pages
that are never cached."""

from __future__ import annotations

from typing import Any

from flask import render_template, session

from core import clock
from core.translatable import N_

WRONG_OTP = N_("This code is not right. Check the time on your phone and enter the code your app shows now.")
OTP_THROTTLED = N_("Too many wrong codes. Wait 5 minutes, then try again.")


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    # These pages carry personal details and, once, the TOTP secret: never keep them in a cache.
    return render_template(f"web/public/{template}", **context), status, {"Cache-Control": "no-store"}


def state(key: str) -> dict[str, Any] | None:
    """The journey's state, or None once its time is up (or it never started)."""
    found = session.get(key)
    if not isinstance(found, dict) or found.get("until", 0) < clock.now().timestamp():
        return None
    return found
