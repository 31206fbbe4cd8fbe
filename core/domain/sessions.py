"""How long a logged-in session lasts, for member logins and staff alike: 30 minutes without a request end it
(idle), and so do 12 hours after the login whatever happens (absolute)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

IDLE_AFTER = timedelta(minutes=30)
ABSOLUTE_AFTER = timedelta(hours=12)
# The last-seen time is written back at most this often, so most requests leave the session cookie unchanged.
SEEN_RESOLUTION = timedelta(seconds=30)


class Ended(StrEnum):
    IDLE = "idle"
    ABSOLUTE = "absolute"
    UNKNOWN = "unknown"  # a session without its times (made before they were kept, or tampered with)


def ended(logged_in_at: datetime | None, last_seen_at: datetime | None, now: datetime) -> Ended | None:
    """Why the session is over at `now`, or None while it may go on. The absolute limit wins over idleness."""
    if logged_in_at is None or last_seen_at is None:
        return Ended.UNKNOWN
    if now - logged_in_at >= ABSOLUTE_AFTER:
        return Ended.ABSOLUTE
    if now - last_seen_at >= IDLE_AFTER:
        return Ended.IDLE
    return None


def should_note_seen(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= SEEN_RESOLUTION
