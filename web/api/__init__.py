"""The JSON API's blueprint, under /api/v1."""

from web.api import (  # noqa: F401  (each adds its routes to the blueprint)
    views,
)
from web.api.blueprint import bp

__all__ = ["bp"]
