from flask import Blueprint

bp = Blueprint("public", __name__)

from web.public import intake, registration, session_views, views  # noqa: E402,F401
