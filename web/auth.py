"""Sessions for member logins and staff (Flask-Login). A session names the account and its session version,
so bumping the version (deactivation, password change) ends every session of that account on its next request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from core import clock, db
from core.domain.deactivation import may_use
from core.models import Login, StaffUser

manager = LoginManager()
PENDING_KEY = "pending_second_factor"


class MemberPrincipal(UserMixin):
    kind = "member"

    def __init__(self, login: Login) -> None:
        self.login_id = login.id
        self.member_id = login.member_id
        self.name = login.name
        self.rights = list(login.rights)
        self.language = login.language
        self._version = login.session_version

    def get_id(self) -> str:
        return f"m:{self.login_id}:{self._version}"


class StaffPrincipal(UserMixin):
    kind = "staff"

    def __init__(self, staff: StaffUser) -> None:
        self.staff_id = staff.id
        self.username = staff.username
        self.name = staff.name
        self.role = staff.role
        self._version = staff.session_version

    def get_id(self) -> str:
        return f"s:{self.staff_id}:{self._version}"


@manager.user_loader
def _load(user_id: str) -> MemberPrincipal | StaffPrincipal | None:
    kind, raw_id, version = user_id.split(":")
    with db.unit_of_work() as s:
        if kind == "m":
            login = s.get(Login, int(raw_id))
            # R11: enforced on every request, not only by the sweep.
            if login and login.session_version == int(version) and may_use(login.status, login.last_day, clock.now()):
                return MemberPrincipal(login)
        elif kind == "s":
            staff = s.get(StaffUser, int(raw_id))
            if staff and staff.active and staff.session_version == int(version):
                return StaffPrincipal(staff)
    return None


def init_app(app: Flask) -> None:
    manager.init_app(app)
    manager.session_protection = "strong"


def start_session(principal: MemberPrincipal | StaffPrincipal) -> None:
    """Both factors passed: a fresh session (new id) for this account."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(principal)
    session.permanent = True


def end_session() -> None:
    logout_user()
    session.pop(PENDING_KEY, None)


def member_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or current_user.kind != "member":
            return redirect(url_for("public.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.path))
        if current_user.kind != "staff":
            abort(403)
        return view(*args, **kwargs)

    return wrapper
