"""The public blueprint: intake, registration, login and the pages anyone may open."""

from web.public import (  # noqa: F401  (each adds its routes to the blueprint)
    intake,
    invitation,
    old_logins,
    registration,
    session_views,
    support,
    trustee_code,
    views,
)
from web.public.blueprint import bp

__all__ = ["bp"]
