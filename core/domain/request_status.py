"""R21: what anyone holding a request's reference sees, in states and timing.

The public status follows the calendar from the day the request came in, never the request's own progress: a
matching request is decided within seconds and a doubtful one waits for staff, so any state taken from the
decision would tell an outsider whether a member number, UID and administrators matched. Every request is
"received" until the fund's processing time is over, then "processed"; the page explains each possible outcome
with the dates computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

# The fund decides every request, staff cases included, within this many working days of receipt.
PROCESSING_WORKING_DAYS = 3
# B-Post takes 2–3 working days; the later bound, so "if nothing has arrived by" is never too early.
POST_WORKING_DAYS = 3


class PublicState(StrEnum):
    RECEIVED = "received"  # being processed
    PROCESSED = "processed"  # the processing time is over: see what happens next


@dataclass(frozen=True)
class PublicTimeline:
    received_on: date
    processed_by: date  # the last day of processing (Zurich calendar)
    answer_by: date  # if no letter or e-mail has reached the requester by the end of this day, they contact us

    def state(self, today: date) -> PublicState:
        return PublicState.PROCESSED if today > self.processed_by else PublicState.RECEIVED


def timeline(received_on: date) -> PublicTimeline:
    processed_by = add_working_days(received_on, PROCESSING_WORKING_DAYS)
    return PublicTimeline(received_on, processed_by, add_working_days(processed_by, POST_WORKING_DAYS))


def add_working_days(day: date, count: int) -> date:
    """Monday to Friday; cantonal public holidays differ, and a later bound only makes the promise safer."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day
