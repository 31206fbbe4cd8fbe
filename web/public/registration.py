"""Registering a login with the code from the letter (R2–R4, R7, R8): a member's first administrator, a
trustee's login with its mandate (R15), or the login the fund prepared on an official letter (R16).

The Flask session carries only where the registration stands (member, code and pending login ids, and until
when); never the code, the password or the TOTP secret.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.domain import codes
from core.logins import recovery_codes, registration
from core.models import Member
from core.translatable import N_
from web import client
from web.enrolment import authenticator_display
from web.forms import reading
from web.i18n import current, translate
from web.public import steps
from web.public.blueprint import bp
from web.public.member_forms import CodeForm, DetailsForm, OtpForm
from web.public.steps import OTP_THROTTLED, WRONG_OTP

STATE_KEY = "registration"
RECOVERY_KEY = "recovery_codes_for"  # a login just activated, whose recovery codes are still to be shown
ROUTE_KEY = "registered_route"  # what it registered, for the wording of the last page
STATE_SECONDS = 3600  # time to fill in the details and set up an app

NO_MATCH = N_("This member number and code do not match a valid registration code. Check the letter and type the "
              "code again. A code works only once, and only until the date printed in the letter.")
BLOCKED = N_("Too many wrong codes. Wait 15 minutes, then try again.")


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return steps.page(template, status, **context)


def _state() -> dict[str, Any] | None:
    return steps.state(STATE_KEY)


def _start_again() -> Response:
    session.pop(STATE_KEY, None)
    flash(translate(registration.START_AGAIN), "error")
    return redirect(url_for(".register"), 303)


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    form = CodeForm()
    if reading():
        return _page("register_code.html", form=form)
    if form.validate_on_submit():
        with unit_of_work() as s:
            opened = registration.open_with_code(s, form.member_number.data.strip(), codes.read(form.code.data),
                                                 clock.now())
        if opened.result == registration.CodeCheck.OK:
            session[STATE_KEY] = {"member": opened.member_id, "code": opened.code_id, "login": opened.login_id,
                                  "until": clock.now().timestamp() + STATE_SECONDS}
            return redirect(url_for(".register_details"), 303)
        form.fail("code", BLOCKED if opened.result == registration.CodeCheck.BLOCKED else NO_MATCH)
    form.forget_code()
    return _page("register_code.html", 422, form=form)


def _member(state: dict[str, Any]) -> tuple[str, str] | None:
    """The member's number and name while the code is still open."""
    with unit_of_work() as s:
        if not registration.still_open(s, state["member"], state["code"], clock.now()):
            return None
        member = s.get(Member, state["member"])
        return (member.member_number, member.name) if member else None


def _route(state: dict[str, Any]) -> str:
    """What the code registers, read from the code itself: the cookie carries ids only."""
    with unit_of_work() as s:
        return registration.route_of_code(s, state["code"])


@bp.route("/register/details", methods=["GET", "POST"])
def register_details() -> Any:
    state = _state()
    member = _member(state) if state else None
    if state is None or member is None:
        return _start_again()
    form = DetailsForm()
    form.member_number_on_file = member[0]
    route = _route(state)
    shown: dict[str, Any] = {"route": route, "member_name": member[1]}
    if reading() or route == registration.PREPARED:
        # A prepared login's name and e-mail are staff's (R16): shown, never taken from the form.
        _fill_from_pending(form, state, keep_typed=request.method == "POST")
    if reading():
        return _page("register_details.html", form=form, **shown)
    if not form.validate_on_submit():
        return _page("register_details.html", 422, form=form, **shown)
    person = registration.Person(form.name.data, form.email.data, form.mobile.data, form.password.data,
                                 form.language.data)
    try:
        with unit_of_work() as s:
            login_id = registration.save_person(s, state["member"], state["code"], state["login"], person,
                                                clock.now())
    except registration.RegistrationError as exc:
        if exc.field is None:
            return _start_again()
        form.fail(exc.field, str(exc))
        return _page("register_details.html", 422, form=form, **shown)
    session[STATE_KEY] = {**state, "login": login_id}
    session["lang"] = person.language
    return redirect(url_for(".register_authenticator"), 303)


def _fill_from_pending(form: DetailsForm, state: dict[str, Any], keep_typed: bool = False) -> None:
    """Coming back to change the details: show what was given (never the password). For a prepared login,
    staff's name and e-mail, also over what a POST carried."""
    if not keep_typed:
        form.language.data = current()
    if not state.get("login"):
        return
    with unit_of_work() as s:
        shown = registration.preset(s, state["member"], state["code"], state["login"])
    if shown is None:
        return
    form.name.data, form.email.data = shown.name, shown.email
    if not keep_typed:
        form.mobile.data = shown.mobile
        form.language.data = shown.language or current()


@bp.route("/register/authenticator", methods=["GET", "POST"])
def register_authenticator() -> Any:
    state = _state()
    if state is None or not state.get("login"):
        return _start_again()
    form = OtpForm()
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work() as s:
            outcome = registration.activate(s, state["member"], state["code"], state["login"], form.otp.data,
                                            client.address(), clock.now())
        if outcome == registration.Activation.OK:
            session.pop(STATE_KEY, None)
            # The recovery codes are made when their page is shown, once: the cookie only says whose they are.
            session[RECOVERY_KEY] = state["login"]
            session[ROUTE_KEY] = _route(state)
            return redirect(url_for(".register_done"), 303)
        if outcome == registration.Activation.GONE:
            return _start_again()
        form.fail("otp", OTP_THROTTLED if outcome == registration.Activation.THROTTLED else WRONG_OTP)
    with unit_of_work() as s:
        joining = registration.joining(s, state["member"], state["code"], state["login"], clock.now())
        shown = None if joining else registration.enrolment(s, state["member"], state["code"], state["login"])
    form.forget_otp()
    status = 422 if form.errors else 200
    if joining:  # the person's login exists: its app is set up, and its key is never shown again
        return _page("register_existing_login.html", status, form=form)
    if shown is None:
        return _start_again()
    return _page("register_authenticator.html", status, form=form, shown=shown,
                 **authenticator_display(shown.uri, shown.secret))


@bp.get("/register/done")
def register_done() -> Any:
    """The login is ready; right after activation this page also shows its recovery codes, made now, once."""
    login_id = session.pop(RECOVERY_KEY, None)
    shown = None
    if isinstance(login_id, int):
        with unit_of_work() as s:
            shown = recovery_codes.first_set(s, login_id, clock.now())
    return _page("register_done.html", codes=shown, route=session.pop(ROUTE_KEY, registration.ADMINISTRATOR))
