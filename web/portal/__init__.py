"""The member portal's blueprint: pages for a logged-in login."""

from web.portal import (  # noqa: F401  (each adds its routes to the blueprint)
    admin,
    profile,
    security,
    support,
    trustees,
    views,
)
from web.portal.blueprint import bp

__all__ = ["bp"]
