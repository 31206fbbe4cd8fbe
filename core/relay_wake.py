"""Wake the outbox relay right after a commit that wrote outbox rows, so the work does not wait for beat's next
tick. core.outbox calls `soon()` after such a commit; the process says once how a wake-up is sent (`use`): the web
app and the worker each wire in their own broker client, and a process that wires nothing (the CLI) leaves the
rows to beat's relay.

Wake-ups are coalesced by one background thread per process: under load, many commits share one message, and a
request never waits for the broker. Losing one only delays work until beat's relay runs (every 2 s). A wake-up
after a quiet spell goes out at once; under load the thread sends at most one per MIN_INTERVAL_S, so publishing
to the broker does not take the web worker's CPU (and GIL) away from answering requests.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger()
_wanted = threading.Event()
_lock = threading.Lock()
_owner_pid: int | None = None
_send: Callable[[], None] | None = None
# One publish costs about a millisecond of CPU in the web process; one relay run publishes up to 500 rows. So
# under load a few wake-ups a second are plenty, and a burst waits at most this long for the next one.
MIN_INTERVAL_S = 0.2


def use(send: Callable[[], None] | None) -> None:
    """How this process publishes one "run the relay now" message to the broker (None: it does not)."""
    global _send
    _send = send


def _send_forever() -> None:
    while True:
        _wanted.wait()
        _wanted.clear()
        sent_at = time.monotonic()
        send = _send
        try:
            if send is not None:
                send()
        except Exception as exc:  # the broker being away only delays the work
            log.warning("relay.nudge_failed", error=type(exc).__name__)
        # commits during this pause set _wanted again and share the next message
        time.sleep(max(0.0, MIN_INTERVAL_S - (time.monotonic() - sent_at)))


def soon() -> None:
    global _owner_pid
    if _send is None:
        return
    if _owner_pid != os.getpid():  # first call in this process (or in a forked child): start its sender
        with _lock:
            if _owner_pid != os.getpid():
                threading.Thread(target=_send_forever, name="relay-nudge", daemon=True).start()
                _owner_pid = os.getpid()
    _wanted.set()
