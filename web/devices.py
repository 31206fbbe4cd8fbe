"""R9: a browser that has completed a two-step login carries a device cookie for that login (OWASP's "device
cookies"). Failed passwords from anywhere else lock the login for unknown browsers only; from a browser it has
used, only that browser's own failures count. So an attacker's guesses cannot lock the owner out."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from core import config

COOKIE = "connect_device"
KEPT_FOR = timedelta(days=180)


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="device-cookie")


def remember(response: Response, login_id: int) -> None:
    """After a complete two-step login: this browser is one the login has used."""
    response.set_cookie(COOKIE, _signer().dumps(login_id), max_age=int(KEPT_FOR.total_seconds()), httponly=True,
                        secure=config.get().public_base_url.startswith("https://"), samesite="Lax", path="/login")


def known_login() -> int | None:
    """The login this browser has completed a two-step login for, if its cookie is genuine and recent."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        found = _signer().loads(value, max_age=int(KEPT_FOR.total_seconds()))
    except BadSignature:
        return None
    return found if isinstance(found, int) else None
