"""Waiting for work done by another process or thread: poll with a deadline, never sleep a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def poll(check: Callable[[], Any], deadline_s: float = 60, what: str = "condition", interval_s: float = 0.2) -> Any:
    """The first truthy value of `check()`, or AssertionError naming `what` once the deadline has passed."""
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(interval_s)
