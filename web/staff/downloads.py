"""A kept document handed to staff: always a download (R23), never shown inside the site, never cached."""

from __future__ import annotations

from flask import abort, send_file
from werkzeug.wrappers import Response

from core.models import Document


def document_download(document: Document | None) -> Response:
    if document is None:
        abort(404)
    response = send_file(document.path, mimetype="application/pdf", download_name=document.filename,
                         as_attachment=True)
    response.headers["Cache-Control"] = "no-store"
    return response
