"""Sessions for member logins and staff (Flask-Login). A session names the account and its session version,
so bumping the version (deactivation, password change) ends every session of that account on its next request.
It also holds when it began and when it was last used: 30 minutes idle or 12 hours in all end it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Flask, abort, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core import clock, db
from core.domain import rights, sessions
from core.domain.deactivation import may_use
from core.models import Login, StaffUser
from core.translatable import N_
from core.trustees import mandates
from web.forms import reading
from web.i18n import translate

manager = LoginManager()
PENDING_KEY = "pending_second_factor"
ACTING_KEY = "acting_member"  # a trustee login: the member it chose to act for (R13)
ACCESS_ENDED = N_("You can no longer act for this company: the access it gave you has ended. "
                  "Choose another company, or ask an administrator of that company to give you access again.")
STARTED_KEY, SEEN_KEY = "logged_in_at", "last_seen_at"  # POSIX seconds
ENDED_MESSAGES = {
    sessions.Ended.IDLE: N_("You were logged out because you were inactive for 30 minutes. Please log in again."),
    sessions.Ended.ABSOLUTE: N_("You were logged out because you were logged in for 12 hours. Please log in again."),
    sessions.Ended.UNKNOWN: N_("Your session has ended. Please log in again."),
}


class MemberPrincipal(UserMixin):
    """A member's own login, or a trustee login acting for one member (R13). For a trustee, `member_id` and
    `rights` come from the mandate chosen in this session and are recomputed on every request (R14); both are
    empty while it acts for nobody."""

    kind = "member"

    def __init__(self, login: Login, acting: mandates.Principal | None = None) -> None:
        self.login_id = login.id
        self.trustee_id = login.trustee_id
        self.name = login.name
        self.language = login.language
        self._version = login.session_version
        self.acting_for = acting
        if login.trustee_id is None:
            self.member_id: int | None = login.member_id
            self.rights = list(login.rights)
        else:
            self.member_id = acting.member_id if acting else None
            self.rights = [r for r in rights.CATALOGUE if acting and r in acting.rights]

    @property
    def is_trustee(self) -> bool:
        return self.trustee_id is not None

    @property
    def session_version(self) -> int:
        return self._version

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

    @property
    def session_version(self) -> int:
        return self._version

    def get_id(self) -> str:
        return f"s:{self.staff_id}:{self._version}"


@manager.user_loader
def _load(user_id: str) -> MemberPrincipal | StaffPrincipal | None:
    kind, raw_id, version = user_id.split(":")
    with db.unit_of_work() as s:
        if kind == "m":
            login = s.get(Login, int(raw_id))
            now = clock.now()
            # R11: enforced on every request, not only by the sweep.
            if login and login.session_version == int(version) and may_use(login.status, login.last_day, now):
                return MemberPrincipal(login, _acting(s, login, now))
        elif kind == "s":
            staff = s.get(StaffUser, int(raw_id))
            if staff and staff.active and staff.session_version == int(version):
                return StaffPrincipal(staff)
    return None


def _acting(s: Session, login: Login, now: datetime) -> mandates.Principal | None:
    """R13, R14: the member this trustee login chose, with the rights its mandate gives now; None if none."""
    member_id = session.get(ACTING_KEY)
    if login.trustee_id is None or not isinstance(member_id, int):
        return None
    return mandates.acting_for(s, login.id, member_id, now)


def init_app(app: Flask) -> None:
    manager.init_app(app)
    manager.session_protection = "strong"
    app.before_request(enforce_timeouts)


def start_session(principal: MemberPrincipal | StaffPrincipal) -> None:
    """Both factors passed (or the password was changed): a fresh session (new id) for this account."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(principal)
    session.permanent = True
    now = clock.now().timestamp()
    session[STARTED_KEY] = session[SEEN_KEY] = now


def end_session() -> None:
    logout_user()
    for key in (PENDING_KEY, STARTED_KEY, SEEN_KEY, ACTING_KEY):
        session.pop(key, None)


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def enforce_timeouts() -> Response | None:
    """Before every request of a logged-in browser: end the session after 30 minutes idle or 12 hours in all."""
    user_id = session.get("_user_id")
    if not user_id or request.endpoint == "static":
        return None
    now = clock.now()
    ended = sessions.ended(_moment(session.get(STARTED_KEY)), _moment(session.get(SEEN_KEY)), now)
    if ended is None:
        seen = _moment(session.get(SEEN_KEY))
        if seen is not None and sessions.should_note_seen(seen, now):
            session[SEEN_KEY] = now.timestamp()
        return None
    end_session()
    flash(translate(ENDED_MESSAGES[ended]), "error")
    login_page = "staff.login" if str(user_id).startswith("s:") else "public.login"
    target = request.full_path.rstrip("?") if reading() else None
    return redirect(url_for(login_page, next=target), 303)


def member_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """A member's login. A trustee login only on pages marked for trustees, and only while acting for a member
    it has a current mandate for; every other page refuses it, so a new page is closed to trustees until opened."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or current_user.kind != "member":
            return redirect(url_for("public.login", next=request.path))
        if current_user.is_trustee:
            refused = _trustee_refusal(getattr(view, TRUSTEES_ATTR, None))
            if refused is not None:
                return refused
        return view(*args, **kwargs)

    return wrapper


TRUSTEES_ATTR = "trustee_access"
ACTING, CHOOSING = "acting", "choosing"


def for_trustees(needs: str = ACTING) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Open a page to trustee logins: ACTING pages need a chosen member, CHOOSING pages (the switch) do not.
    Put it below @member_required."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, TRUSTEES_ATTR, needs)
        return view

    return mark


def _trustee_refusal(needs: str | None) -> Response | None:
    if needs is None:
        abort(403)
    if needs == ACTING and current_user.member_id is None:
        if session.pop(ACTING_KEY, None) is not None:
            flash(translate(ACCESS_ENDED), "error")
        return redirect(url_for("portal.choose_member", next=request.path if reading() else None))
    return None


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.path))
        if current_user.kind != "staff":
            abort(403)
        return view(*args, **kwargs)

    return wrapper
