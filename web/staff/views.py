"""Views of the staff area."""

from web.staff import bp  # noqa: F401
