"""Views of the api area."""

from web.api import bp  # noqa: F401
