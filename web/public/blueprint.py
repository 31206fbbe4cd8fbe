"""The public blueprint: intake, registration, login and the pages anyone may open.

In a module of its own, so that the view modules adding routes to it and the package loading them do not
import each other."""

from flask import Blueprint

bp = Blueprint("public", __name__)
