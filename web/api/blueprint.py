"""The JSON API's blueprint, under /api/v1.

In a module of its own, so that the view modules adding routes to it and the package loading them do not
import each other."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
