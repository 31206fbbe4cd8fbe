"""The JSON API is cookie-free: its requests neither read nor write the browser session.

API clients send no session cookie, and an answer of the API must never set one. Skipping the cookie's signature
check and the save also takes work off every intake request (`make bench`, intake). Pages keep Flask's signed
cookie session unchanged.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

API_PREFIX = "/api/"


class ApiSession(SecureCookieSession):
    """An empty session for one API request: code that reads it finds nothing, what is written is dropped."""


class CookieFreeApi(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return ApiSession()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, ApiSession):
            return
        super().save_session(app, session, response)
