"""The staff desk's blueprint."""

from web.staff import (  # noqa: F401  (each adds its routes to the blueprint)
    downloads,
    mailroom,
    operations,
    poa_uploads,
    registration_cases,
    registrations,
    support,
    trustee_codes,
    trustees,
    views,
)
from web.staff.blueprint import bp

__all__ = ["bp"]
