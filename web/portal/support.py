"""A support request from a logged-in login: the member is the one the login acts for, and the person and
e-mail address are prefilled from the login (both may be changed, e.g. to a shared mailbox)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core import clock, db
from core.desk import support
from core.models import Login
from web.auth import for_trustees, member_required
from web.portal.blueprint import bp
from web.public.support import SupportForm, checked


def _prefilled() -> SupportForm:
    form = SupportForm()
    with db.unit_of_work() as session:
        login = session.get(Login, current_user.login_id)
        if login is not None:
            form.name.data, form.email.data, form.phone.data = login.name, login.email, login.mobile
    return form


@bp.get("/support")
@member_required
@for_trustees()
def support_page() -> str:
    return render_template("web/portal/support.html", form=_prefilled())


@bp.post("/support")
@member_required
@for_trustees()
def support_submit() -> Response | tuple[str, int]:
    form = SupportForm()
    if not checked(form):
        return render_template("web/portal/support.html", form=form), 422
    with db.unit_of_work() as session:
        reference = support.submit(session, form.command(), clock.now(), login_id=current_user.login_id,
                                   member_id=current_user.member_id)
    return redirect(url_for(".support_received", reference=reference), 303)


@bp.get("/support/received/<reference>")
@member_required
@for_trustees()
def support_received(reference: str) -> str:
    return render_template("web/portal/support_received.html", reference=reference[:20])
