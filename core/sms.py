"""Text messages (R8): one `send` with two gateways chosen by settings.

Without SMS_URL each message is written to `<sms_dir>/<key>.txt` (the embedded default, read by tests and by
people trying the system out); with SMS_URL it is POSTed as JSON to that provider with SMS_TOKEN as bearer token.
A message carries a one-time code: never log its text, nor put it in an exception message.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from core import config

TIMEOUT_S = 10.0


class SmsRefused(OSError):
    """The provider did not accept the message; an OSError, so the task retries it with backoff."""


def send(to_e164: str, text: str, key: str) -> None:
    """Deliver one message. The same key writes the same file, so a retried task sends once to the file gateway."""
    settings = config.get()
    if settings.sms_url:
        _post(settings.sms_url, settings.sms_token, to_e164, text)
    else:
        _write(settings.sms_dir, to_e164, text, key)


def file_for(key: str, directory: Path | None = None) -> Path:
    """Where the file gateway puts the message with this key."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)
    return (directory or config.get().sms_dir) / f"{safe}.txt"


def _write(directory: Path, to_e164: str, text: str, key: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = file_for(key, directory)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(f"To: {to_e164}\n\n{text}", encoding="utf-8")
    temporary.replace(target)  # readers never see half a message


def _post(url: str, token: str, to_e164: str, text: str) -> None:
    body = json.dumps({"to": to_e164, "text": text}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (URL from settings)
            status = response.status
    except urllib.error.HTTPError as exc:
        # The message names only the status: the request body (with the code) must not reach a log.
        raise SmsRefused(f"SMS provider answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise SmsRefused(f"SMS provider not reachable: {exc.reason}") from None
    if not 200 <= status < 300:
        raise SmsRefused(f"SMS provider answered HTTP {status}")
