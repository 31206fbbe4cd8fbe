"""Public pages: registration."""

from web.public import bp  # noqa: F401
