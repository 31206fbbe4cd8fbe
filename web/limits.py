"""Coarse outer limits per IP address: on the routes that check secrets, and on the public intake. The rules
themselves (R3, R9) are counted in the database; these only keep one address from hammering the login and code
pages, or from filling the desk with requests. Storage from RATELIMIT_STORAGE_URI: memory:// on a laptop, Redis in
production so all web workers share it.

Each limited view is wrapped by a fixed-window counter of the `limits` library: one atomic increment per POST in
the storage (a Lua script on Redis), nothing else. The general-purpose extension used before resolved and filtered
its limits and ran its hooks on every request, which cost the public intake as much as its own database write."""

from __future__ import annotations

import functools
import os
import time
from typing import TYPE_CHECKING, Any

import structlog
from flask import Flask, abort, jsonify, render_template, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from core import config
from web import client

if TYPE_CHECKING:
    from flask.typing import RouteCallable

log = structlog.get_logger("web")

# The POST routes that check a password or a code; staff routes included, they check secrets too.
LIMITED_ENDPOINTS = (
    "public.login",
    "public.login_second_factor",
    "public.login_send_sms",
    "public.register",
    "public.invitation_send_code",
    "public.invitation_code",
    "public.invitation_authenticator",
    "staff.login",
    "staff.second_factor",
)

# The public intake: anyone may send a request, but one address cannot send thousands (RATELIMIT_INTAKE).
INTAKE_ENDPOINTS = (
    "api.submit",
    "public.new_code_submit",
    "public.trustee_code_submit",
    "public.old_logins_submit",
    "public.support_submit",
)
INTAKE_DEFAULT = "60 per minute"
INTAKE_SCOPE = "intake"  # one count for every intake route together
KEY_PREFIX = "backoffice"
STORE_TIMEOUT_S = 0.25
PAUSE_AFTER_FAILURE_S = 5.0


class PerAddressLimits:
    """The counters of one application (so each test app starts with empty counts)."""

    def __init__(self, storage_uri: str) -> None:
        options: dict[str, Any] = {}
        if storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            # Redis answers in well under a millisecond; one that hangs must not hold every web thread for seconds
            # (redis-py would wait with no timeout and retry three times)
            options = {"socket_timeout": STORE_TIMEOUT_S, "socket_connect_timeout": STORE_TIMEOUT_S,
                       "retry": Retry(NoBackoff(), 0)}
        self.strategy = FixedWindowRateLimiter(storage_from_string(storage_uri, **options))
        self.unchecked_until = 0.0

    def allows(self, limit: RateLimitItem, scope: str, address: str) -> bool:
        """Count this request; False once the address has used its allowance in the current window. A store that
        does not answer lets requests through for PAUSE_AFTER_FAILURE_S before it is asked again: the rules in the
        database still hold, and a Redis outage must not take every login and every request down with it."""
        if time.monotonic() < self.unchecked_until:
            return True
        try:
            return self.strategy.hit(limit, KEY_PREFIX, scope, address)
        except Exception as exc:  # the `limits` storages raise their driver's own errors
            self.unchecked_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            log.warning("limits.storage_unavailable", error=type(exc).__name__, unchecked_for_s=PAUSE_AFTER_FAILURE_S)
            return True

    def wrap(self, view: RouteCallable, limit: RateLimitItem, scope: str) -> RouteCallable:
        """Only POSTs are counted: reading a form again costs an address nothing."""

        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST" and not self.allows(limit, scope, client.address() or "unknown"):
                abort(429)
            return view(*args, **kwargs)

        return limited


def init_app(app: Flask) -> PerAddressLimits | None:
    """Wrap the endpoints above (registered before this is called); RATELIMIT_ENABLED false leaves them as they are."""
    settings = config.get()
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_AUTH", settings.ratelimit_auth)
    app.config.setdefault("RATELIMIT_INTAKE", os.environ.get("RATELIMIT_INTAKE", INTAKE_DEFAULT))
    app.register_error_handler(429, _too_many)
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    storage_uri = str(app.config["RATELIMIT_STORAGE_URI"])
    if settings.is_production and storage_uri.startswith("memory://"):
        # each gunicorn worker would count on its own: four workers, four times the allowance
        raise config.InsecureConfiguration(
            f"ENVIRONMENT is {settings.environment!r}: set RATELIMIT_STORAGE_URI to the Redis all web workers share "
            "(redis://host:6379/1); memory:// counts per process")
    counters = PerAddressLimits(storage_uri)
    secrets = _parsed(app, "RATELIMIT_AUTH")
    intake = _parsed(app, "RATELIMIT_INTAKE")
    for endpoint in LIMITED_ENDPOINTS:
        if endpoint in app.view_functions:  # each secret-checking route has an allowance of its own
            app.view_functions[endpoint] = counters.wrap(app.view_functions[endpoint], secrets, endpoint)
    for endpoint in INTAKE_ENDPOINTS:
        if endpoint in app.view_functions:  # an address cannot multiply its allowance by using each form
            app.view_functions[endpoint] = counters.wrap(app.view_functions[endpoint], intake, INTAKE_SCOPE)
    app.extensions["backoffice_limits"] = counters
    return counters


def _parsed(app: Flask, name: str) -> RateLimitItem:
    text = str(app.config[name])
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"{name} must read like '30 per minute', not {text!r}") from exc


def _too_many(_error: Exception) -> Any:
    if request.path.startswith("/api/"):
        message = "Too many requests from this address. Wait a minute, then send again."
        return jsonify({"error": "too_many_requests", "message": message}), 429, {"Retry-After": "60"}
    return render_template("web/errors/429.html"), 429, {"Retry-After": "60"}
