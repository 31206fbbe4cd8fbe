"""The invitee's side of an invitation (R7, R8): open the e-mailed link, confirm the SMS code sent to the mobile
number the administrator entered, choose a password, set up the authenticator app.

The link is exchanged for a session at once (the address bar then no longer shows it). The Flask session holds
only the invitation id, whether an SMS was sent and confirmed, and until when; never a code or the password.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, session, url_for
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired

from core import clock
from core.db import unit_of_work
from core.logins import invitations, recovery_codes
from core.logins.member_auth import Check
from core.translatable import N_
from web import client
from web.enrolment import authenticator_display
from web.forms import Form, reading
from web.i18n import translate
from web.public import steps
from web.public.blueprint import bp
from web.public.member_forms import OtpForm
from web.public.registration import RECOVERY_KEY
from web.public.second_factor_forms import ActionForm, SmsCodeForm
from web.public.steps import OTP_THROTTLED, WRONG_OTP

STATE_KEY = "invitation"
STATE_SECONDS = 3600  # time to get through the steps once the link was opened

SMS_SENT = N_("We sent a 6-digit code by SMS to {mobile}. It works for 5 minutes.")
SMS_LIMIT = N_("We have sent 5 codes in the last hour, the most we send. Try again in an hour.")
CODE_MESSAGES = {
    Check.WRONG: N_("This code is not right. Check the SMS and type the code again."),
    Check.REUSED: N_("This code has been used already. Send a new code."),
    Check.EXPIRED: N_("This code has expired: it works for 5 minutes. Send a new code."),
    Check.VOID: N_("This code no longer works after too many wrong tries. Send a new code."),
    Check.NO_CODE: N_("No code has been sent yet. Send a code first."),
    Check.THROTTLED: N_("Too many wrong codes. Wait 5 minutes, then try again."),
}


class PasswordForm(Form):
    password = PasswordField(N_("Create a password"), validators=[InputRequired(N_("Create a password"))])
    confirm = PasswordField(N_("Type the password again"), validators=[
        InputRequired(N_("Type your password again")), EqualTo("password", N_("The two passwords are not the same"))])


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return steps.page(template, status, **context)


def _state() -> dict[str, Any] | None:
    return steps.state(STATE_KEY)


def _gone() -> tuple[str, int, dict[str, str]]:
    session.pop(STATE_KEY, None)
    return _page("invitation_invalid.html", 404)


def _invitee(state: dict[str, Any]) -> invitations.Invitee | None:
    with unit_of_work() as s:
        return invitations.invitee(s, state["id"], clock.now())


@bp.get("/invitation/<token>")
def invitation_link(token: str) -> Any:
    with unit_of_work() as s:
        invitation_id = invitations.open_link(s, token, clock.now())
        shown = invitations.invitee(s, invitation_id, clock.now()) if invitation_id else None
    if shown is None:
        return _gone()
    session[STATE_KEY] = {"id": shown.invitation_id, "sent": False, "sms": False,
                          "until": clock.now().timestamp() + STATE_SECONDS}
    session["lang"] = shown.language
    return redirect(url_for(".invitation"), 303)


@bp.get("/invitation")
def invitation() -> Any:
    state = _state()
    shown = _invitee(state) if state else None
    if state is None or shown is None:
        return _gone()
    if state["sms"]:
        return redirect(url_for(".invitation_password"), 303)
    return _welcome(state, shown, SmsCodeForm(), 200)


def _welcome(state: dict[str, Any], shown: invitations.Invitee, form: SmsCodeForm, status: int) -> Any:
    form.code.data, form.code.raw_data = "", []  # a typed code is never shown again
    return _page("invitation.html", status, shown=shown, form=form, action=ActionForm(), sent=state["sent"])


@bp.post("/invitation/send-code")
def invitation_send_code() -> Response | tuple[str, int, dict[str, str]]:
    state = _state()
    if state is None or not ActionForm().validate_on_submit():
        return _gone()
    with unit_of_work() as s:
        result = invitations.send_code(s, state["id"], clock.now())
        shown = invitations.invitee(s, state["id"], clock.now())
    if result == Check.NOT_ACTIVE or shown is None:
        return _gone()
    if result == Check.OK:
        session[STATE_KEY] = {**state, "sent": True}
        flash(translate(SMS_SENT, mobile=shown.mobile_masked), "success")
    else:
        flash(translate(SMS_LIMIT), "error")
    return redirect(url_for(".invitation"), 303)


@bp.post("/invitation/code")
def invitation_code() -> Any:
    state = _state()
    shown = _invitee(state) if state else None
    if state is None or shown is None:
        return _gone()
    form = SmsCodeForm()
    if form.validate_on_submit():
        with unit_of_work() as s:
            result = invitations.confirm_code(s, state["id"], form.code.data, client.address(),
                                              clock.now())
        if result == Check.OK:
            session[STATE_KEY] = {**state, "sms": True}
            return redirect(url_for(".invitation_password"), 303)
        if result == Check.NOT_ACTIVE:
            return _gone()
        form.fail("code", CODE_MESSAGES.get(result, CODE_MESSAGES[Check.WRONG]))
    return _welcome(state, shown, form, 422)


@bp.route("/invitation/password", methods=["GET", "POST"])
def invitation_password() -> Any:
    state = _state()
    shown = _invitee(state) if state else None
    if state is None or shown is None:
        return _gone()
    if not state["sms"]:
        return redirect(url_for(".invitation"), 303)
    form = PasswordForm()
    if reading():
        return _page("invitation_password.html", shown=shown, form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            problem = invitations.set_password(s, state["id"], form.password.data, clock.now())
        if problem is None:
            return redirect(url_for(".invitation_authenticator"), 303)
        form.fail("password", problem)
    return _page("invitation_password.html", 422, shown=shown, form=form)


@bp.route("/invitation/authenticator", methods=["GET", "POST"])
def invitation_authenticator() -> Any:
    state = _state()
    if state is None:
        return _gone()
    if not state["sms"]:
        return redirect(url_for(".invitation"), 303)
    form = OtpForm()
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work() as s:
            shown = invitations.invitee(s, state["id"], clock.now())
            result = invitations.activate(s, state["id"], form.otp.data, client.address(), clock.now())
        if result == Check.OK and shown is not None:
            session.pop(STATE_KEY, None)
            session[RECOVERY_KEY] = shown.login_id  # the codes are made and shown once, by the next page
            return redirect(url_for(".invitation_done"), 303)
        if result == Check.NOT_ACTIVE:
            return _gone()
        form.fail("otp", OTP_THROTTLED if result == Check.THROTTLED else WRONG_OTP)
    with unit_of_work() as s:
        enrolment = invitations.enrolment(s, state["id"], clock.now())
    if enrolment is None:
        return redirect(url_for(".invitation_password"), 303)
    form.forget_otp()
    return _page("invitation_authenticator.html", 422 if form.errors else 200, form=form, shown=enrolment,
                 **authenticator_display(enrolment.uri, enrolment.secret))


@bp.get("/invitation/done")
def invitation_done() -> Any:
    login_id = session.pop(RECOVERY_KEY, None)
    codes = None
    if isinstance(login_id, int):
        with unit_of_work() as s:
            codes = recovery_codes.first_set(s, login_id, clock.now())
    return _page("invitation_done.html", codes=codes)
