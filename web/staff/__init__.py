from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from web.staff import (  # noqa: E402,F401
    mailroom,
    operations,
    poa_uploads,
    registrations,
    support,
    trustee_codes,
    trustees,
    views,
)
