"""User administration in the portal (R10–R12): only for logins holding the administration right.

Every route answers 403 to a login without that right, and 404 for an id that is not one of the member's own
logins or invitations, whether it exists elsewhere or not. The services check both again on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core import clock
from core.db import unit_of_work
from core.domain import logins as rules
from core.domain import rights
from core.logins import invitations, leaving, logins, security_history
from core.translatable import N_
from web.auth import member_required
from web.dates import day, moment
from web.forms import reading
from web.i18n import current, translate
from web.portal.admin_forms import FORGED, ConfirmForm, LeaveForm, LoginDetailsForm, unexpected_fields
from web.portal.blueprint import bp
from web.portal.formatting import event_text

SAVED = N_("The changes to {name} have been saved.")
INVITED = N_("We have sent an invitation to {email}. The link in it works for 72 hours.")
RESENT = N_("We have sent a new invitation to {email}. The earlier link no longer works.")
CANCELLED = N_("The invitation for {email} has been cancelled. Its link no longer works.")
DEACTIVATED = N_("The login of {name} has been deactivated. It can no longer be used.")
SCHEDULED = N_("The login of {name} works until the end of {day} and is deactivated after that.")
REACTIVATED = N_("The login of {name} is active again.")


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """R10: only administrators manage logins. Checked before any id is looked at, so a 403 reveals nothing."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not rights.is_administrator(list(current_user.rights)):
            abort(403)
        return view(*args, **kwargs)

    return member_required(wrapper)


@contextmanager
def service() -> Iterator[Session]:
    """One transaction; the services' NotAllowed and NotFound become 403 and 404 (and nothing is saved)."""
    try:
        with unit_of_work() as s:
            yield s
    except logins.NotAllowed:
        abort(403)
    except logins.NotFound:
        abort(404)


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    # Pages with personal details of colleagues: never kept in a shared cache.
    return (render_template(f"web/portal/admin/{template}", day=day, moment=moment, event_text=event_text,
                            right_label=rights.label,
                            Standing=rules.Standing, **context),
            status, {"Cache-Control": "no-store"})


def _refusal(exc: logins.Refused) -> str:
    return translate(exc.message, **exc.values)


@bp.get("/admin/")
@admin_required
def admin_logins() -> Any:
    with service() as s:
        overview = logins.overview(s, current_user.login_id, clock.now())
    return _page("logins.html", overview=overview, confirm=ConfirmForm())


def _details(form: LoginDetailsForm) -> logins.Details:
    return logins.Details(form.name.data or "", form.email.data or "", form.mobile.data or "",
                          form.language.data or "", form.chosen_rights())


def _form_page(template: str, form: LoginDetailsForm, editor_rights: list[str], status: int,
               **context: Any) -> tuple[str, int, dict[str, str]]:
    return _page(template, status, form=form, editor_rights=editor_rights, catalogue=list(rights.CATALOGUE),
                 **context)


def _forged(form: LoginDetailsForm | LeaveForm) -> str | None:
    extra = unexpected_fields(form)
    return translate(FORGED, fields=", ".join(extra)) if extra else None


@bp.route("/admin/new", methods=["GET", "POST"])
@admin_required
def admin_new() -> Any:
    form = LoginDetailsForm()
    editor_rights = list(current_user.rights)
    if reading():
        form.language.data = current()
        return _form_page("new.html", form, editor_rights, 200)
    problem = _forged(form)
    if problem is None and form.validate_on_submit():
        try:
            with service() as s:
                logins.create(s, current_user.login_id, _details(form), clock.now())
        except logins.Refused as exc:
            problem = _place(form, exc)
        else:
            flash(translate(INVITED, email=form.email.data.strip().lower()), "success")
            return redirect(url_for(".admin_logins"), 303)
    return _form_page("new.html", form, editor_rights, 422, problem=problem)


def _place(form: LoginDetailsForm | LeaveForm, exc: logins.Refused) -> str | None:
    """A refusal next to its field, or for the whole page."""
    if exc.field and exc.field in form:
        form.fail(exc.field, translate(exc.message, **exc.values))
        return None
    return _refusal(exc)


@bp.get("/admin/logins/<int:login_id>")
@admin_required
def admin_login(login_id: int) -> Any:
    with service() as s:
        shown = logins.detail(s, current_user.login_id, login_id, clock.now())
        events = security_history.of_login(s, current_user.login_id, login_id, clock.now(), limit=10)
    return _page("detail.html", login=shown, events=events, confirm=ConfirmForm())


@bp.route("/admin/logins/<int:login_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_edit(login_id: int) -> Any:
    with service() as s:
        shown = logins.detail(s, current_user.login_id, login_id, clock.now())
    form = LoginDetailsForm()
    editor_rights = list(current_user.rights)
    if reading():
        form.name.data, form.email.data, form.mobile.data = shown.name, shown.email, shown.mobile
        form.language.data, form.rights.data = shown.language, list(shown.rights)
        return _form_page("edit.html", form, editor_rights, 200, login=shown)
    problem = _forged(form)
    if problem is None and form.validate_on_submit():
        try:
            with service() as s:
                logins.edit(s, current_user.login_id, login_id, _details(form), clock.now())
        except logins.Refused as exc:
            problem = _place(form, exc)
        else:
            flash(translate(SAVED, name=form.name.data.strip()), "success")
            return redirect(url_for(".admin_login", login_id=login_id), 303)
    # Rights the editor cannot change are shown as they are stored, whatever the form claimed.
    form.rights.data = [r for r in (form.rights.data or []) if r in editor_rights] + \
        [r for r in shown.rights if r not in editor_rights]
    return _form_page("edit.html", form, editor_rights, 422, login=shown, problem=problem)


@bp.route("/admin/logins/<int:login_id>/deactivate", methods=["GET", "POST"])
@admin_required
def admin_deactivate(login_id: int) -> Any:
    with service() as s:
        shown = logins.detail(s, current_user.login_id, login_id, clock.now())
    form = LeaveForm()
    if reading():
        form.when.data = "date"
        return _page("deactivate.html", form=form, login=shown)
    problem = _forged(form)
    if problem is None and form.validate_on_submit():
        last_day = form.chosen_day()
        try:
            with service() as s:
                leaving.deactivate(s, current_user.login_id, login_id, last_day, clock.now())
        except logins.Refused as exc:
            problem = _place(form, exc)
        else:
            if last_day is None:
                flash(translate(DEACTIVATED, name=shown.name), "success")
            else:
                flash(translate(SCHEDULED, name=shown.name, day=day(last_day)), "success")
            return redirect(url_for(".admin_login", login_id=login_id), 303)
    return _page("deactivate.html", 422, form=form, login=shown, problem=problem)


@bp.post("/admin/logins/<int:login_id>/reactivate")
@admin_required
def admin_reactivate(login_id: int) -> Any:
    return _button(lambda s: leaving.reactivate(s, current_user.login_id, login_id, clock.now()),
                   lambda s: translate(REACTIVATED, name=logins.detail(s, current_user.login_id, login_id,
                                                                       clock.now()).name),
                   url_for(".admin_login", login_id=login_id))


@bp.post("/admin/invitations/<int:invitation_id>/resend")
@admin_required
def admin_resend(invitation_id: int) -> Any:
    return _invitation_button(invitation_id, invitations.resend, RESENT)


@bp.post("/admin/invitations/<int:invitation_id>/cancel")
@admin_required
def admin_cancel(invitation_id: int) -> Any:
    return _invitation_button(invitation_id, invitations.cancel, CANCELLED)


def _invitation_button(invitation_id: int, action: Callable[..., Any], message: str) -> Response:
    def email(s: Session) -> str:
        return translate(message, email=invitations.invitee_email(s, current_user.login_id, invitation_id))

    return _button(lambda s: action(s, current_user.login_id, invitation_id, clock.now()), email,
                   url_for(".admin_logins"))


def _button(action: Callable[[Session], Any], message: Callable[[Session], str], back: str) -> Response:
    """A POST with only a CSRF token: do it, say so, and go back; a refusal is said the same way."""
    form = ConfirmForm()
    if not form.validate_on_submit() or unexpected_fields(form):
        abort(400)
    try:
        with service() as s:
            action(s)
            said = message(s)
    except logins.Refused as exc:
        flash(_refusal(exc), "error")
    else:
        flash(said, "success")
    return redirect(back, 303)


@bp.get("/admin/history")
@admin_required
def admin_history() -> Any:
    before = request.args.get("before", type=int)
    with service() as s:
        page = security_history.of_member(s, current_user.login_id, clock.now(), before=before)
    return _page("history.html", page=page)
