"""Every login's own security history (R18) and leaving: deactivating one's own login now or after the last
working day (R11, R12). Both concern only the login itself, so a trustee login (R13) uses them too, whether or not
it acts for a member at the moment."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import clock
from core.logins import leaving, logins, security_history
from core.translatable import N_
from web.auth import CHOOSING, end_session, for_trustees, member_required
from web.dates import day, long_day, moment
from web.forms import reading
from web.i18n import translate
from web.portal.admin import service
from web.portal.admin_forms import FORGED, ConfirmForm, LeaveForm, unexpected_fields
from web.portal.blueprint import bp
from web.portal.formatting import event_text, first_refused_day

LEFT = N_("Your login has been deactivated. Thank you for using connect.")
LEAVING = N_("Your login works until the end of {day} (midnight, Swiss time) and is deactivated after that.")
KEPT = N_("The last working day {day} has been removed. Your login keeps working.")


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    return (render_template(f"web/portal/{template}", day=day, long_day=long_day, moment=moment,
                            first_refused_day=first_refused_day, event_text=event_text, **context),
            status, {"Cache-Control": "no-store"})


@bp.get("/history")
@member_required
@for_trustees(CHOOSING)
def my_history() -> Any:
    before = request.args.get("before", type=int)
    with service() as s:
        page = security_history.own(s, current_user.login_id, clock.now(), before=before)
    return _page("history.html", page=page)


@bp.route("/profile/leave", methods=["GET", "POST"])
@member_required
@for_trustees(CHOOSING)
def leave() -> Any:
    """R11: any login ends itself. R12: the last administrator is told how to hand over first."""
    with service() as s:
        me = logins.acting(s, current_user.login_id, clock.now())
        last_day = me.last_day
    form = LeaveForm()
    if reading():
        form.when.data, form.last_day.data = "date", last_day
        return _page("leave.html", form=form, last_day=last_day)
    extra = unexpected_fields(form)
    problem = translate(FORGED, fields=", ".join(extra)) if extra else None
    if problem is None and form.validate_on_submit():
        chosen = form.chosen_day()
        try:
            with service() as s:
                leaving.deactivate(s, current_user.login_id, current_user.login_id, chosen, clock.now())
        except logins.Refused as exc:
            if exc.field and exc.field in form:
                form.fail(exc.field, translate(exc.message, **exc.values))
            else:
                problem = translate(exc.message, **exc.values)
        else:
            if chosen is None:
                end_session()
                flash(translate(LEFT), "success")
                return redirect(url_for("public.home"), 303)
            flash(translate(LEAVING, day=long_day(chosen)), "success")
            return redirect(url_for(".leave"), 303)
    return _page("leave.html", 422, form=form, last_day=last_day, problem=problem)


@bp.post("/profile/leave/keep")
@member_required
@for_trustees(CHOOSING)
def keep_login() -> Any:
    """R11: the person who set their own last working day takes it back (audited, R18)."""
    if not ConfirmForm().validate_on_submit():
        flash(translate("The page had expired. Please try again."), "error")
        return redirect(url_for(".leave"), 303)
    try:
        with service() as s:
            removed = leaving.keep_own_login(s, current_user.login_id, clock.now())
    except logins.Refused as exc:
        flash(translate(exc.message, **exc.values), "error")
        return redirect(url_for(".leave"), 303)
    flash(translate(KEPT, day=long_day(removed)), "success")
    return redirect(url_for(".profile"), 303)
