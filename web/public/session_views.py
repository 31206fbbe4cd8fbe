"""Public pages: session_views."""

from web.public import bp  # noqa: F401
