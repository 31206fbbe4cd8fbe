"""The web application: public intake and registration, the member portal, the staff desk, the JSON API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix

from core import config, relay_wake
from core.desk import documents
from core.domain.states import CaseStatus, LoginStatus, RequestStatus
from web import dates, i18n
from web.broker import relay_sender
from web.redirects import local_path

csrf = CSRFProtect()


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = config.get()
    config.check_production(settings)
    app = Flask(__name__, template_folder=str(config.ROOT / "templates"), static_folder="static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        # Flask-Login's remember-me cookie is never set (no "remember me"), but keep it as strict as the session's.
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(overrides or {})
    if settings.trusted_proxy_hops:
        # Behind a reverse proxy every request comes from the proxy's address: R9's counts per address and the
        # per-IP limit need the client's, which only the configured number of trusted proxies may tell.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxy_hops)
    csrf.init_app(app)
    relay_wake.use(relay_sender(settings.broker_url))  # commits that queue work wake the relay (core.outbox)
    from web import help as help_pages
    from web import ops

    ops.init_app(app)  # first: the request id must be bound before any other hook logs
    app.register_blueprint(help_pages.bp)

    from web import auth
    from web.api import bp as api_bp
    from web.api.sessions import CookieFreeApi
    from web.portal import bp as portal_bp
    from web.public import bp as public_bp
    from web.staff import bp as staff_bp

    auth.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    app.session_interface = CookieFreeApi()  # the JSON API neither reads nor sets the session cookie
    from web import limits

    limits.init_app(app)  # after the blueprints: it attaches to their login and code routes

    i18n.init_app(app)
    app.jinja_env.filters.update(day=dates.day, long_day=dates.long_day, moment=dates.moment)
    app.jinja_env.globals.update(lang=i18n.current, settings=settings, max_upload_bytes=documents.MAX_BYTES,
                                 CaseStatus=CaseStatus,
                                 LoginStatus=LoginStatus, RequestStatus=RequestStatus)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    for status in (403, 404, 413, 503):
        app.register_error_handler(status, _error_page(status))
    app.register_error_handler(CSRFError, _expired_form)
    app.register_error_handler(HTTPException, _other_error)
    from sqlalchemy.exc import OperationalError

    app.register_error_handler(OperationalError, _database_down)
    return app


def _error_page(status: int):  # type: ignore[no-untyped-def]
    def handler(error: Exception):  # type: ignore[no-untyped-def]
        if isinstance(error, HTTPException) and _for_programs():
            return _as_json(error)
        return render_template(f"web/errors/{status}.html"), status

    return handler


def _for_programs() -> bool:
    return request.path.startswith("/api/")


def _as_json(error: HTTPException):  # type: ignore[no-untyped-def]
    """Every answer under /api/ is JSON, also where no view answered (an unknown path, a method not offered)."""
    code = error.code or 500
    names = {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 413: "too_large",
             415: "unsupported_media_type", 403: "forbidden"}
    response = jsonify({"error": names.get(code, "error"), "message": error.description or error.name})
    if code == 405 and isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response, code


def _expired_form(_error: CSRFError):  # type: ignore[no-untyped-def]
    """A form sent after its session ended (or from a page kept open too long): say so in the person's language and
    lead back to the form, instead of a bare "400 Bad Request"."""
    referrer = urlsplit(request.referrer or "")
    back = local_path(referrer._replace(scheme="", netloc="").geturl()) if referrer.netloc == request.host else None
    return render_template("web/errors/expired.html", back=back or "/"), 400


def _other_error(error: HTTPException):  # type: ignore[no-untyped-def]
    return _as_json(error) if _for_programs() else error


def _database_down(_error: Exception):  # type: ignore[no-untyped-def]
    message = i18n.translate(
        "The service is briefly unavailable. Nothing was saved; please try again in a few minutes."
    )
    if _for_programs():
        return jsonify({"error": "unavailable", "message": message}), 503, {"Retry-After": "30"}
    return render_template("web/errors/503.html"), 503, {"Retry-After": "30"}
