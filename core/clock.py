"""The one place that reads the clock; everything below takes `now` as an argument."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ZURICH = ZoneInfo("Europe/Zurich")


def now() -> datetime:
    return datetime.now(UTC)


def today_in_zurich(at: datetime) -> date:
    return at.astimezone(ZURICH).date()
