"""R11: a login scheduled to end works to the end of its last working day, Zurich time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain.states import LoginStatus

ZURICH = ZoneInfo("Europe/Zurich")


def refused_from(last_working_day: date) -> datetime:
    return datetime.combine(last_working_day + timedelta(days=1), time.min, ZURICH)


def may_use(status: str, last_day: date | None, now: datetime) -> bool:
    return status == LoginStatus.ACTIVE and (last_day is None or now < refused_from(last_day))
