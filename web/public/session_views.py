"""Member login in two steps (password, then the authenticator app, an SMS code or a recovery code) and logout
(R7, R8, R9, R11).

Between the steps the session holds only the pending login's id, its session version and a deadline under
web.auth.PENDING_KEY; the session id is replaced once both steps have passed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.domain import passwords
from core.logins import member_auth
from core.logins.member_auth import Check
from core.translatable import N_
from web import client, devices
from web.auth import PENDING_KEY, MemberPrincipal, end_session, start_session
from web.forms import reading
from web.i18n import translate
from web.public.blueprint import bp
from web.public.member_forms import LoginForm, OtpForm
from web.public.second_factor_forms import ActionForm, RecoveryCodeForm, SmsCodeForm
from web.redirects import local_path

WRONG_PASSWORD = N_("The member number, e-mail address or password is wrong.")
PASSWORD_THROTTLED = N_("Too many failed attempts. Wait 5 minutes, then try again.")
NOT_ACTIVE = N_("This login cannot be used: it is not active or has been deactivated. Ask an administrator of "
                "your company, or contact us.")
WRONG_OTP = N_("This code is not right. Check the time on your phone and enter the code your app shows now.")
REUSED_OTP = N_("This code has been used already. Wait until your app shows a new code and enter that one.")
OTP_THROTTLED = N_("Too many wrong codes. Wait 5 minutes, then try again.")
EXPIRED = N_("Your login took too long. Enter your password again.")
WRONG_SMS = N_("This code is not right. Check the SMS and type the code again, or send a new code.")
EXPIRED_SMS = N_("This code has expired: a code sent by SMS works for 5 minutes. Send a new code.")
REUSED_SMS = N_("This code has been used already. Send a new code.")
VOID_SMS = N_("This code no longer works because a wrong code was entered too often. Send a new code.")
NO_SMS = N_("We have not sent you a code yet. Send a code first.")
SMS_SENT = N_("We sent a code by SMS to your mobile number ending in {ending}. It works for 5 minutes.")
SMS_LIMIT = N_("You have asked for 5 codes by SMS in the last hour, the most we send. Use your authenticator app or a "
               "recovery code, or try again later.")
WRONG_RECOVERY = N_("This recovery code is not right. Check it and type it again.")
REUSED_RECOVERY = N_("This recovery code has been used already. Each code works only once: use another one.")

_PASSWORD_MESSAGES = {Check.WRONG: WRONG_PASSWORD, Check.THROTTLED: PASSWORD_THROTTLED, Check.NOT_ACTIVE: NOT_ACTIVE}
SMS_PENDING_FOR = timedelta(minutes=10)
APP, SMS, RECOVERY = "app", "sms", "recovery"  # the ways through the second step, as the page names them
_TEMPLATES = {APP: "login_second_factor.html", SMS: "login_second_factor_sms.html",
              RECOVERY: "login_second_factor_recovery.html"}
_FORMS: dict[str, type] = {APP: OtpForm, SMS: SmsCodeForm, RECOVERY: RecoveryCodeForm}
_FIELD = {APP: "otp", SMS: "code", RECOVERY: "code"}
_CHECKS = {APP: member_auth.check_second_factor, SMS: member_auth.check_sms_factor,
           RECOVERY: member_auth.check_recovery_code}
_MESSAGES = {
    APP: {Check.WRONG: WRONG_OTP, Check.REUSED: REUSED_OTP, Check.THROTTLED: OTP_THROTTLED},
    SMS: {Check.WRONG: WRONG_SMS, Check.EXPIRED: EXPIRED_SMS, Check.REUSED: REUSED_SMS, Check.VOID: VOID_SMS,
          Check.NO_CODE: NO_SMS, Check.THROTTLED: OTP_THROTTLED},
    RECOVERY: {Check.WRONG: WRONG_RECOVERY, Check.REUSED: REUSED_RECOVERY, Check.THROTTLED: OTP_THROTTLED},
}


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return render_template(f"web/public/{template}", **context), status, {"Cache-Control": "no-store"}


def _ip() -> str:
    return client.address()


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and current_user.kind == "member":
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if reading():
        return _page("login.html", form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            step = member_auth.check_password(s, form.member_number.data, form.email.data, form.password.data,
                                              _ip(), clock.now(), known_login=devices.known_login())
        if step.result == Check.OK:
            session[PENDING_KEY] = {"kind": "member", "login": step.login_id, "version": step.session_version,
                                    "until": clock.now().timestamp() + passwords.PENDING_FOR.total_seconds()}
            return redirect(url_for(".login_second_factor", next=local_path(request.args.get("next"))), 303)
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


def _second_step_page(method: str, form: Any, status: int = 200) -> tuple[str, int, dict[str, str]]:
    pending = _pending() or {}
    with unit_of_work() as s:
        ending = member_auth.mobile_ending(s, pending.get("login", 0))
    typed = form[_FIELD[method]]
    typed.data, typed.raw_data = "", []  # R8: a code is never shown again, not even a wrong one
    return _page(_TEMPLATES[method], status, form=form, ending=ending, sms_sent=bool(pending.get("sms_sent")),
                 action=ActionForm(), next=local_path(request.args.get("next")))


@bp.route("/login/second-step", methods=["GET", "POST"])
def login_second_factor() -> Any:
    pending = _pending()
    if pending is None:
        return _back_to_password(EXPIRED)
    chosen = request.args.get("use")
    if reading() and chosen in _TEMPLATES:
        session[PENDING_KEY] = {**pending, "method": chosen}
        pending = session[PENDING_KEY]
    method = pending.get("method", APP)
    form = _FORMS[method]()
    if reading():
        return _second_step_page(method, form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            step = _CHECKS[method](s, pending["login"], pending["version"], form[_FIELD[method]].data, _ip(),
                                   clock.now())
            principal = MemberPrincipal(step.login) if step.login is not None else None
        if principal is not None:
            start_session(principal)
            session["lang"] = principal.language
            response = redirect(local_path(request.args.get("next")) or url_for("portal.home"), 303)
            devices.remember(response, principal.login_id)
            return response
        if step.result == Check.NOT_ACTIVE:
            return _back_to_password(NOT_ACTIVE)
        form.fail(_FIELD[method], _MESSAGES[method].get(step.result, WRONG_OTP))
    return _second_step_page(method, form, 422)


@bp.post("/login/second-step/sms")
def login_send_sms() -> Any:
    """Send (or send again) a code to the login's mobile number; the code field is on the second-step page."""
    pending = _pending()
    if pending is None:
        return _back_to_password(EXPIRED)
    next_page = local_path(request.args.get("next"))
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".login_second_factor", next=next_page), 303)
    now = clock.now()
    with unit_of_work() as s:
        result = member_auth.send_login_sms(s, pending["login"], pending["version"], now)
        ending = member_auth.mobile_ending(s, pending["login"])
    if result == Check.NOT_ACTIVE:
        return _back_to_password(NOT_ACTIVE)
    if result == Check.OK:
        # The page stays open longer than the code works, so a late code is told apart from a late login.
        until = max(pending["until"], now.timestamp() + SMS_PENDING_FOR.total_seconds())
        session[PENDING_KEY] = {**pending, "method": SMS, "sms_sent": True, "until": until}
        flash(translate(SMS_SENT, ending=ending), "success")
    else:
        session[PENDING_KEY] = {**pending, "method": SMS}
        flash(translate(SMS_LIMIT), "error")
    return redirect(url_for(".login_second_factor", next=next_page), 303)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated and current_user.kind == "member":
        with unit_of_work() as s:
            member_auth.log_out(s, current_user.login_id, current_user.session_version)
    end_session()
    flash(translate("You have logged out."), "success")
    return redirect(url_for(".home"), 303)
