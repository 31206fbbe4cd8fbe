"""The one place that reads the clock; everything below takes `now` as an argument.

For tests that must pass a date in other processes (a login's last working day), `BACKOFFICE_CLOCK_FILE` may name
a file holding an offset in seconds that every process adds to the real time. Refused in production.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core import config

ZURICH = ZoneInfo("Europe/Zurich")


def _offset() -> timedelta:
    path = os.environ.get("BACKOFFICE_CLOCK_FILE")
    if not path:
        return timedelta(0)
    if config.is_production(os.environ.get("ENVIRONMENT")):
        raise RuntimeError("BACKOFFICE_CLOCK_FILE is for tests only and refused outside development and tests")
    try:
        return timedelta(seconds=float(Path(path).read_text().strip() or 0))
    except FileNotFoundError:
        return timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset()


def set_offset(seconds: float) -> None:
    """Move the clock of every process sharing BACKOFFICE_CLOCK_FILE (tests only)."""
    Path(os.environ["BACKOFFICE_CLOCK_FILE"]).write_text(str(seconds))


def today_in_zurich(at: datetime) -> date:
    return at.astimezone(ZURICH).date()
