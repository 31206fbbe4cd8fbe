"""Public pages: intake."""

from web.public import bp  # noqa: F401
