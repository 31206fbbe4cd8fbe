"""Member login in two steps (password, then TOTP) and logout (R8, R9, R11).

Between the steps the session holds only the pending login's id, its session version and a deadline under
web.auth.PENDING_KEY; the session id is replaced once both steps have passed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.domain import passwords
from core.services import member_auth
from core.services.member_auth import Check
from web.auth import PENDING_KEY, MemberPrincipal, end_session, start_session
from web.i18n import translate
from web.public import bp
from web.public.member_forms import LoginForm, OtpForm

WRONG_PASSWORD = "The member number, e-mail address or password is wrong."
PASSWORD_THROTTLED = "Too many failed attempts. Wait 5 minutes, then try again."
NOT_ACTIVE = ("This login cannot be used: it is not active or has been deactivated. Ask an administrator of "
              "your company, or contact us.")
WRONG_OTP = "This code is not right. Check the time on your phone and enter the code your app shows now."
REUSED_OTP = "This code has been used already. Wait until your app shows a new code and enter that one."
OTP_THROTTLED = "Too many wrong codes. Wait 5 minutes, then try again."
EXPIRED = "Your login took too long. Enter your password again."

_PASSWORD_MESSAGES = {Check.WRONG: WRONG_PASSWORD, Check.THROTTLED: PASSWORD_THROTTLED, Check.NOT_ACTIVE: NOT_ACTIVE}
_OTP_MESSAGES = {Check.WRONG: WRONG_OTP, Check.REUSED: REUSED_OTP, Check.THROTTLED: OTP_THROTTLED}


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return render_template(f"web/public/{template}", **context), status, {"Cache-Control": "no-store"}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an attacker's link must not send people elsewhere after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and current_user.kind == "member":
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if request.method == "GET":
        return _page("login.html", form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            step = member_auth.check_password(s, form.member_number.data, form.email.data, form.password.data,
                                              _ip(), clock.now())
        if step.result == Check.OK:
            session[PENDING_KEY] = {"kind": "member", "login": step.login_id, "version": step.session_version,
                                    "until": clock.now().timestamp() + passwords.PENDING_FOR.total_seconds()}
            return redirect(url_for(".login_second_factor", next=_safe_next(request.args.get("next"))), 303)
        form.fail("password", _PASSWORD_MESSAGES[step.result])
    return _page("login.html", 422, form=form)


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("kind") != "member":
        return None
    if pending.get("until", 0) < clock.now().timestamp():
        return None
    return pending


def _back_to_password(message: str) -> Response:
    session.pop(PENDING_KEY, None)
    flash(translate(message), "error")
    return redirect(url_for(".login"), 303)


@bp.route("/login/second-step", methods=["GET", "POST"])
def login_second_factor() -> Any:
    pending = _pending()
    if pending is None:
        return _back_to_password(EXPIRED)
    form = OtpForm()
    if request.method == "GET":
        return _page("login_second_factor.html", form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            step = member_auth.check_second_factor(s, pending["login"], pending["version"], form.otp.data, _ip(),
                                                   clock.now())
            principal = MemberPrincipal(step.login) if step.login is not None else None
        if principal is not None:
            start_session(principal)
            session["lang"] = principal.language
            return redirect(_safe_next(request.args.get("next")) or url_for("portal.home"), 303)
        if step.result == Check.NOT_ACTIVE:
            return _back_to_password(NOT_ACTIVE)
        form.fail("otp", _OTP_MESSAGES[step.result])
    form.forget_otp()
    return _page("login_second_factor.html", 422, form=form)


@bp.post("/logout")
def logout() -> Response:
    end_session()
    flash(translate("You have logged out."), "success")
    return redirect(url_for(".home"), 303)
