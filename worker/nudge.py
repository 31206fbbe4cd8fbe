"""Wake the relay right after a commit, so a request does not wait for the next beat tick.

Nudges are coalesced by one background thread per process: under load, many commits share one message, and a
request never waits for the broker. Losing a nudge only delays work until beat's relay runs (every 2 s).
A nudge after a quiet spell goes out at once; under load the thread sends at most one per MIN_INTERVAL_S, so
publishing to the broker does not take the web worker's CPU (and GIL) away from answering requests.
"""

from __future__ import annotations

import os
import threading
import time

import structlog

log = structlog.get_logger()
_wanted = threading.Event()
_lock = threading.Lock()
_owner_pid: int | None = None
# One send_task costs about a millisecond of CPU in the web process; one relay run publishes up to 500 rows. So
# under load a few nudges a second are plenty, and a burst waits at most this long for the next one.
MIN_INTERVAL_S = 0.2


def _send_forever() -> None:
    from worker.app import app

    while True:
        _wanted.wait()
        _wanted.clear()
        sent_at = time.monotonic()
        try:
            app.send_task("outbox.relay", retry=False)
        except Exception as exc:  # the broker being away only delays the work
            log.warning("relay.nudge_failed", error=type(exc).__name__)
        # commits during this pause set _wanted again and share the next message
        time.sleep(max(0.0, MIN_INTERVAL_S - (time.monotonic() - sent_at)))


def relay_soon() -> None:
    global _owner_pid
    if _owner_pid != os.getpid():  # first call in this process (or in a forked child): start its sender
        with _lock:
            if _owner_pid != os.getpid():
                import worker.app  # noqa: F401 - imported here, not in the thread, so imports never race

                threading.Thread(target=_send_forever, name="relay-nudge", daemon=True).start()
                _owner_pid = os.getpid()
    _wanted.set()
