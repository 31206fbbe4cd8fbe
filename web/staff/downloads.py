"""Every kept document (a scanned letter, a power of attorney uploaded or sent in) reaches staff through one view:
always a download (R23), never shown inside the site, never cached."""

from __future__ import annotations

from flask import abort, send_file
from werkzeug.wrappers import Response

from core.db import unit_of_work
from core.models import Document
from web.auth import staff_required
from web.staff.blueprint import bp


@bp.get("/documents/<int:document_id>")
@staff_required
def document(document_id: int) -> Response:
    with unit_of_work() as s:
        kept = s.get(Document, document_id)
        if kept is None:
            abort(404)
        path, filename = kept.path, kept.filename
    response = send_file(path, mimetype="application/pdf", download_name=filename, as_attachment=True)
    response.headers["Cache-Control"] = "no-store"
    return response
