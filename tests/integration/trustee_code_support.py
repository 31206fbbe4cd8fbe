"""Helpers for the trustee-code tests (Situation 3 (b), R15): a real PDF, the public form's fields, the API body."""

from __future__ import annotations

import base64
import io
from typing import Any

import pikepdf

MEMBER_FORM = {
    "member_number": "100234", "uid": "CHE-100.155.212", "company_name": "Muster AG",
    "requester_name": "Anna Muster", "requester_role": "Managing director", "requester_email": "anna@example.ch",
    "requester_phone": "", "reason": "Our only administrator has left; our trustee does our salary declarations.",
}
TRUSTEE_FORM = {
    "trustee_name": "Treuhand Beispiel GmbH", "trustee_uid": "CHE-109.322.551", "trustee_care_of": "",
    "trustee_street": "Seestrasse 8", "trustee_po_box": "", "trustee_postcode": "8001", "trustee_town": "Zürich",
    "trustee_language": "it", "contact_name": "Tina Treu", "contact_email": "tina@treuhand.example",
}
FORM = {**MEMBER_FORM, **TRUSTEE_FORM}


def pdf_bytes(pages: int = 1) -> bytes:
    """A real, readable PDF, as a scanner would make it (content checked with pikepdf, like the upload)."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def api_body(pdf: bytes | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "trustee_code", "member_number": "100234", "uid": "CHE-100.155.212", "company_name": "Muster AG",
        "requester": {"name": "Anna Muster", "role": "Managing director", "email": "anna@example.ch"},
        "reason": "Our only administrator has left.",
        "trustee": {"name": "Treuhand Beispiel GmbH", "uid": "CHE-109.322.551", "street": "Seestrasse 8",
                    "postcode": "8001", "town": "Zürich", "language": "it", "contact_name": "Tina Treu",
                    "contact_email": "tina@treuhand.example"},
        "power_of_attorney": {"filename": "vollmacht.pdf",
                              "content_base64": base64.b64encode(pdf if pdf is not None else pdf_bytes()).decode()},
    }
    body.update(changes)
    return body
