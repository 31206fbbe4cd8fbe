"""The staff desk's blueprint.

In a module of its own, so that the view modules adding routes to it and the package loading them do not
import each other."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
