"""Logs as JSON lines (structlog), and the request id that ties one HTTP request to every task it causes.

The id lives in a context variable: the web app sets it per request, the worker per task (from a Celery header),
and every outbox row written meanwhile stores it (core.models.OutboxMessage.request_id), so the relay hands it
on. `grep <id>` over the web's and the worker's logs then shows the request's whole path.

No secret may reach a line: the `redact` processor masks the values of secret-looking keys and anything shaped
like a registration code, whatever a caller passes.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any, TextIO

import structlog

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# Keys whose values never reach a log line (codes, OTPs, passwords, TOTP secrets, SMS texts, mail bodies).
SECRET_KEYS = frozenset({
    "code", "codes", "otp", "password", "new_password", "totp", "totp_secret", "secret", "token", "text", "body",
    "recovery_code", "recovery_codes", "sms", "message_text", "authorization", "cookie",
})
_C = "[0-9A-HJKMNP-TV-Z]"
# A registration code as printed (R2: 16 Crockford base32 characters in groups of four), with or without dashes,
# and a recovery code (R8) as shown, XXXX-XXXX-XXXXX.
_CODE_SHAPE = re.compile(
    rf"\b(?:{_C}{{4}}-{_C}{{4}}-{_C}{{4}}-{_C}{{4}}|{_C}{{16}}|{_C}{{4}}-{_C}{{4}}-{_C}{{5}})\b", re.I)
REDACTED = "[redacted]"


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(offered: str | None) -> str:
    """A proxy's X-Request-ID is kept when it looks like an id; anything else is replaced (log injection)."""
    if offered and _SANE_ID.match(offered):
        return offered
    return new_request_id()


def bind_request_id(request_id: str | None, **context: Any) -> None:
    """Start a unit of work (an HTTP request, a task): its id and context go on every log line it writes."""
    _request_id.set(request_id)
    structlog.contextvars.clear_contextvars()
    values = {"request_id": request_id, **context} if request_id else context
    structlog.contextvars.bind_contextvars(**values)


def clear() -> None:
    _request_id.set(None)
    structlog.contextvars.clear_contextvars()


def mask_text(value: str) -> str:
    """Anything shaped like a registration code, masked."""
    return _CODE_SHAPE.sub(REDACTED, value)


def redact(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Defence in depth: callers must not log secrets; if one does, the line still carries none."""
    for key in list(event_dict):
        if key.lower() in SECRET_KEYS:
            event_dict[key] = REDACTED
        else:
            value = event_dict[key]
            event_dict[key] = mask_text(value) if isinstance(value, str) else value
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    redact,
]


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A logging handler writing one JSON object per line, for structlog and for libraries' stdlib logging."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
    ))
    return handler


_configured = False


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """JSON lines on stderr for this process (web or worker); calling it again changes nothing."""
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Loggers made at import time must follow this configuration even if they were used before it.
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    root.handlers = [handler for handler in root.handlers if _keep(handler)] + [json_handler(stream)]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # /readyz reads the schema version on every probe
    logging.getLogger("werkzeug").addFilter(_no_access_lines)
    _configured = True


def _no_access_lines(record: logging.LogRecord) -> bool:
    """The development server's access lines show raw paths (an invitation link carries its token); the app's
    own `http.request` line replaces them, with secret path parts masked."""
    return " - - [" not in str(record.msg)


def _keep(handler: logging.Handler) -> bool:
    # pytest's capture handlers stay, so tests still see records; plain stream handlers would print twice.
    return type(handler).__module__.startswith("_pytest")
