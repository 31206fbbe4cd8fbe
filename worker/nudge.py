"""Wake the relay right after a commit, so a request does not wait for the next beat tick."""

from __future__ import annotations

import structlog

log = structlog.get_logger()


def relay_soon() -> None:
    from worker.app import app

    try:
        app.send_task("outbox.relay", retry=False)
    except Exception as exc:  # the broker being away only delays the work: beat's relay picks it up
        log.warning("relay.nudge_failed", error=type(exc).__name__)
