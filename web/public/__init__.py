from flask import Blueprint

bp = Blueprint("public", __name__)

from web.public import intake, invitation, registration, session_views, views  # noqa: E402,F401
