"""The member portal's blueprint: pages for a logged-in login.

In a module of its own, so that the view modules adding routes to it and the package loading them do not
import each other."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
