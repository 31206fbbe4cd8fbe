"""A login's own profile (R8): a new password (ends every other session), new recovery codes, a new
authenticator app. The leaving part ("deactivate myself", R11) is added by the user-administration work."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.logins import member_auth
from core.logins import profile as service
from core.logins.member_auth import Check
from core.models import Login
from core.translatable import N_
from web import client
from web.auth import ACTING_KEY, CHOOSING, MemberPrincipal, for_trustees, member_required, start_session
from web.dates import long_day
from web.enrolment import authenticator_display
from web.forms import reading
from web.i18n import translate
from web.portal.blueprint import bp
from web.portal.formatting import first_refused_day
from web.portal.profile_forms import ConfirmPasswordForm, IdentityForm, PasswordChangeForm
from web.public.member_forms import OtpForm
from web.public.second_factor_forms import ActionForm

CHANGING_KEY = "changing_authenticator"  # set once the password and current factor were confirmed
SMS_SENT = N_("We sent a code by SMS to your mobile number ending in {ending}. It works for 5 minutes.")
SMS_LIMIT = N_("You have asked for 5 codes by SMS in the last hour, the most we send. Use your authenticator app, or "
               "try again later.")


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return render_template(f"web/portal/{template}", **context), status, {"Cache-Control": "no-store"}


def _ip() -> str:
    return client.address()


def _restart_session(login_id: int) -> None:
    """Every session of this login has just ended; this browser gets a fresh one (new id, new version)."""
    with unit_of_work() as s:
        login = s.get(Login, login_id)
        principal = MemberPrincipal(login) if login is not None else None
    if principal is not None:
        acting = session.get(ACTING_KEY)  # a trustee keeps acting for the member it chose (R13)
        start_session(principal)
        if acting is not None:
            session[ACTING_KEY] = acting


@bp.get("/profile")
@member_required
@for_trustees(CHOOSING)
def profile() -> Any:
    with unit_of_work() as s:
        shown = service.profile(s, current_user.login_id, clock.now())
    if shown is None:
        abort(404)
    return _page("profile.html", profile=shown, long_day=long_day, first_refused_day=first_refused_day)


@bp.route("/profile/password", methods=["GET", "POST"])
@member_required
@for_trustees(CHOOSING)
def change_password() -> Any:
    form = PasswordChangeForm()
    if reading():
        return _page("profile_password.html", form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            outcome = service.change_password(s, current_user.login_id, form.current_password.data,
                                              form.new_password.data, _ip(), clock.now())
        if not isinstance(outcome, service.Refusal):
            _restart_session(current_user.login_id)
            flash(translate("Your password has been changed. Every other session of your login has been ended."),
                  "success")
            return redirect(url_for(".profile"), 303)
        form.fail(outcome.field, outcome.message)
    return _page("profile_password.html", 422, form=form)


@bp.route("/profile/recovery-codes", methods=["GET", "POST"])
@member_required
@for_trustees(CHOOSING)
def new_recovery_codes() -> Any:
    form = ConfirmPasswordForm()
    if reading():
        return _page("profile_recovery_codes.html", form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            outcome = service.new_recovery_codes(s, current_user.login_id, form.current_password.data, _ip(),
                                                 clock.now())
        if not isinstance(outcome, service.Refusal):
            # Shown in the answer to the POST, never stored in the clear: reloading cannot show them again.
            return _page("profile_recovery_codes_new.html", codes=outcome)
        form.fail(outcome.field, outcome.message)
    return _page("profile_recovery_codes.html", 422, form=form)


def _identity_page(form: IdentityForm, status: int = 200) -> tuple[str, int, dict[str, str]]:
    form.forget_secrets()
    with unit_of_work() as s:
        ending = member_auth.mobile_ending(s, current_user.login_id)
    return _page("profile_authenticator.html", status, form=form, action=ActionForm(), ending=ending)


@bp.route("/profile/authenticator", methods=["GET", "POST"])
@member_required
@for_trustees(CHOOSING)
def change_authenticator() -> Any:
    form = IdentityForm()
    if reading():
        return _identity_page(form)
    if form.validate_on_submit():
        method = {"sms": member_auth.SMS, "recovery": member_auth.RECOVERY}.get(form.method.data, member_auth.TOTP)
        with unit_of_work() as s:
            refusal = service.start_authenticator_change(s, current_user.login_id, form.current_password.data,
                                                         method, form.code.data, _ip(), clock.now())
        if refusal is None:
            session[CHANGING_KEY] = current_user.login_id
            return redirect(url_for(".new_authenticator"), 303)
        form.fail(refusal.field, refusal.message)
    return _identity_page(form, 422)


@bp.post("/profile/authenticator/sms")
@member_required
@for_trustees(CHOOSING)
def send_confirmation_sms() -> Response:
    if ActionForm().validate_on_submit():
        with unit_of_work() as s:
            result = service.send_confirmation_sms(s, current_user.login_id, clock.now())
            ending = member_auth.mobile_ending(s, current_user.login_id)
        if result == Check.OK:
            flash(translate(SMS_SENT, ending=ending), "success")
        else:
            flash(translate(SMS_LIMIT), "error")
    return redirect(url_for(".change_authenticator"), 303)


@bp.route("/profile/authenticator/new", methods=["GET", "POST"])
@member_required
@for_trustees(CHOOSING)
def new_authenticator() -> Any:
    if session.get(CHANGING_KEY) != current_user.login_id:
        return redirect(url_for(".change_authenticator"), 303)
    form = OtpForm()
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work() as s:
            outcome = service.confirm_authenticator(s, current_user.login_id, form.otp.data, _ip(), clock.now())
        if not isinstance(outcome, service.Refusal):
            session.pop(CHANGING_KEY, None)
            _restart_session(current_user.login_id)
            flash(translate("Your new authenticator app is set up; the old one no longer works. Every other "
                            "session of your login has been ended."), "success")
            return redirect(url_for(".profile"), 303)
        form.fail(outcome.field, outcome.message)
    with unit_of_work() as s:
        shown = service.new_authenticator(s, current_user.login_id, clock.now())
    if shown is None:
        session.pop(CHANGING_KEY, None)
        return redirect(url_for(".change_authenticator"), 303)
    form.forget_otp()
    return _page("profile_authenticator_new.html", 422 if form.errors else 200, form=form, action=ActionForm(),
                 **authenticator_display(shown.uri, shown.secret))


@bp.post("/profile/authenticator/cancel")
@member_required
@for_trustees(CHOOSING)
def cancel_authenticator_change() -> Response:
    if ActionForm().validate_on_submit():
        with unit_of_work() as s:
            service.cancel_authenticator_change(s, current_user.login_id)
        session.pop(CHANGING_KEY, None)
        flash(translate("Nothing was changed: your authenticator app works as before."), "success")
    return redirect(url_for(".profile"), 303)
