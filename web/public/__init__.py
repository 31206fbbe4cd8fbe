from flask import Blueprint

bp = Blueprint("public", __name__)

from web.public import (  # noqa: E402,F401
    intake,
    invitation,
    old_logins,
    registration,
    session_views,
    support,
    trustee_code,
    views,
)
