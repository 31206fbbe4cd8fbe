"""The member portal's start page. User administration is a separate piece of work; this page says so."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user

from core import clock
from core.db import unit_of_work
from core.domain import rights
from core.logins import member_auth
from web.auth import for_trustees, member_required
from web.portal.blueprint import bp


@bp.get("/")
@member_required
@for_trustees()
def home() -> Any:
    with unit_of_work() as s:
        page = member_auth.start_page(s, current_user.login_id, clock.now(), current_user.member_id)
    if page is None:
        abort(404)
    return render_template("web/portal/home.html", page=page, right_label=rights.label)
