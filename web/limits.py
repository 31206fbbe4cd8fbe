"""Coarse outer limits per IP address (Flask-Limiter): on the routes that check secrets, and on the public intake.
The rules themselves (R3, R9) are counted in the database; these only keep one address from hammering the login
and code pages, or from filling the desk with requests. Storage from RATELIMIT_STORAGE_URI: memory:// on a
laptop, Redis in production so all web workers share it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from core import config

if TYPE_CHECKING:
    from flask.typing import RouteCallable

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


def init_app(app: Flask) -> Limiter:
    """One limiter per application (so each test app starts with empty counts), attached to the endpoints above."""
    settings = config.get()
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_AUTH", settings.ratelimit_auth)
    app.config.setdefault("RATELIMIT_INTAKE", os.environ.get("RATELIMIT_INTAKE", INTAKE_DEFAULT))
    # No X-RateLimit-*/Retry-After headers on every answer: Flask-Limiter would overwrite the 503's own Retry-After
    # and put one on a 202. The 429 below says when to come back.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[], key_prefix="backoffice")
    secrets = limiter.limit(lambda: str(app.config["RATELIMIT_AUTH"]), methods=["POST"])
    # one count for every intake route together: an address cannot multiply its allowance by using each form
    intake = limiter.shared_limit(lambda: str(app.config["RATELIMIT_INTAKE"]), scope="intake", methods=["POST"])
    for rule, endpoints in ((secrets, LIMITED_ENDPOINTS), (intake, INTAKE_ENDPOINTS)):
        for endpoint in endpoints:
            view = app.view_functions.get(endpoint)
            if view is not None:
                # the wrapper counts the request, then calls the view; Flask-Limiter types it as possibly async
                app.view_functions[endpoint] = cast("RouteCallable", rule(view))
    # Only the routes decorated above are limited (no default or application-wide limits), and each decorator
    # counts its own request: the extension's check before every request of the site would find nothing to count
    # and only cost time.
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:  # not there when RATELIMIT_ENABLED is false
        checks.remove(limiter._check_request_limit)
    app.register_error_handler(429, _too_many)
    # Flask-Limiter keeps only a weak reference when it is disabled; the app holds the strong one.
    app.extensions["backoffice_limiter"] = limiter
    return limiter


def _too_many(_error: Exception) -> Any:
    if request.path.startswith("/api/"):
        message = "Too many requests from this address. Wait a minute, then send again."
        return jsonify({"error": "too_many_requests", "message": message}), 429, {"Retry-After": "60"}
    return render_template("web/errors/429.html"), 429, {"Retry-After": "60"}
