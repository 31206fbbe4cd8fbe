from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from web.staff import operations, views  # noqa: E402,F401
