"""Help pages for members, in their language: two-step login, and the three situations of the fund's guide
(an administrator leaves, no administrator is left, a trustee needs access), each with the fund's contact.
Written for an employer's HR clerk; every text is in the templates, marked for translation."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("help", __name__, url_prefix="/help")


def _page(topic: str) -> str:
    return render_template(f"web/help/{topic}.html", topic=topic)


@bp.get("/")
def index() -> str:
    return _page("index")


@bp.get("/two-step-login")
def two_step_login() -> str:
    return _page("two_step_login")


@bp.get("/administrator-leaves")
def administrator_leaves() -> str:
    """Situation 1."""
    return _page("administrator_leaves")


@bp.get("/no-administrator")
def no_administrator() -> str:
    """Situation 2."""
    return _page("no_administrator")


@bp.get("/trustee")
def trustee() -> str:
    """Situation 3."""
    return _page("trustee")
