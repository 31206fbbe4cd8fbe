"""Help pages for members, in their language: two-step login, and the situations of the fund's guide (an
administrator leaves, no administrator is left, a trustee needs access, and how to reach the fund), each with the
fund's contact. Written for an employer's HR clerk; every text is in the templates, marked for translation.

A help page names each control of connect it tells a person to use through `ui(...)`, so that the label is the
portal's own, in the page's language, and a test can check that the control exists."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from markupsafe import Markup, escape

from web.i18n import translate

bp = Blueprint("help", __name__, url_prefix="/help")

# Who sees a control: a login of a member with the administration right, a trustee's login, or anyone.
KINDS = ("administrator", "trustee", "public")

# The public form to ask the fund to deactivate old logins (R17). While the application has no such page, the help
# sends people to the support request instead; this is the one place that knows the form's name.
OLD_LOGINS_FORM = "public.old_logins"


def ui(*labels: str, kind: str = "administrator") -> Markup:
    """A control as the portal labels it, or a path of them ("User administration → New login")."""
    if kind not in KINDS or not labels:
        raise ValueError(f"ui() needs labels and a kind of {KINDS}, not {kind!r}")
    names = Markup(" → ").join(Markup('<strong class="ui">{}</strong>').format(translate(label)) for label in labels)
    return Markup('<span class="ui-path" data-ui-kind="{}">{}</span>').format(kind, names)


def translate_with(text: str, **controls: Markup) -> Markup:
    """A translated sentence with controls from ui() placed into it; the sentence itself is escaped."""
    return escape(translate(text)).format(**controls)


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"ui": ui, "_with": translate_with}


def _old_logins_form() -> str | None:
    return url_for(OLD_LOGINS_FORM) if OLD_LOGINS_FORM in current_app.view_functions else None


def _page(topic: str) -> str:
    return render_template(f"web/help/{topic}.html", topic=topic, old_logins_form=_old_logins_form())


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


@bp.get("/support")
def support() -> str:
    """Situation 4."""
    return _page("support")
