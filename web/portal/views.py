"""Views of the portal area."""

from web.portal import bp  # noqa: F401
