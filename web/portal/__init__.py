from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from web.portal import admin, profile, security, support, trustees, views  # noqa: E402,F401
