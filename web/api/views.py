"""The JSON API: requests for a new code or for a code sent to the member's trustee (R15, with the power of
attorney as base64), their public status, and the OpenAPI document.

Every answer is JSON, including the faults (400, 404, 413, 415, 422); a database outage becomes 503 in the app
factory. 202 is sent only after the request and its outbox row are committed together.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from flask import Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from core import clock, db
from core.desk import documents, requests
from core.domain.requests import REFERENCE_PATTERN, InvalidRequest, parse_new_code
from core.domain.stale_login_requests import parse_stale_logins
from core.domain.states import RequestStatus
from core.domain.trustee_requests import parse_trustee_code
from core.trustees import trustee_codes
from web import i18n
from web.api.blueprint import bp
from web.api.openapi import DOCUMENT

MAX_BODY = 16 * 1024  # a request is a few hundred bytes; the reason is at most 2000 characters
# A trustee-code request carries a PDF of at most 10 MB as base64 (4 characters per 3 bytes), plus its fields.
MAX_TRUSTEE_BODY = (documents.MAX_BYTES + 2) // 3 * 4 + MAX_BODY
TOP_LEVEL = {"kind", "member_number", "uid", "company_name", "requester", "reason", "administrators_cannot_help",
             "language"}
TRUSTEE_TOP_LEVEL = TOP_LEVEL - {"administrators_cannot_help"} | {"trustee", "power_of_attorney"}
# API name inside "trustee" -> the name in core.domain.trustee_requests
TRUSTEE = {"name": "trustee_name", "uid": "trustee_uid", "care_of": "trustee_care_of", "street": "trustee_street",
           "po_box": "trustee_po_box", "postcode": "trustee_postcode", "town": "trustee_town",
           "language": "trustee_language", "contact_name": "contact_name", "contact_email": "contact_email"}
STALE_TOP_LEVEL = TOP_LEVEL - {"administrators_cannot_help"} | {"logins"}
KINDS = ("new_code", "trustee_code", "stale_logins")
# API name -> the name in core.domain.requests.NewCodeRequest
REQUESTER = {"name": "requester_name", "role": "requester_role", "email": "requester_email",
             "phone": "requester_phone"}
API_NAME = {domain: f"requester.{api}" for api, domain in REQUESTER.items()} | {
    domain: f"trustee.{api}" for api, domain in TRUSTEE.items()}
REFERENCE = re.compile(REFERENCE_PATTERN)

JsonReply = tuple[Response, int] | tuple[Response, int, dict[str, str]]


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)


@bp.post("/requests")
def submit() -> JsonReply:
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        return _fail(415, "unsupported_media_type", "Send the request body as application/json.")
    request.max_content_length = MAX_TRUSTEE_BODY  # reading more raises 413, answered below as JSON
    data = request.get_data(cache=False)
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        return _fail(400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _invalid({"body": "The body must be a JSON object."})
    if body.get("kind") == "trustee_code":
        return _submit_trustee_code(body)
    if body.get("kind") == "stale_logins":
        return _submit_stale_logins(body)
    if len(data) > MAX_BODY:  # only a trustee-code request carries a document
        return too_large(RequestEntityTooLarge())
    raw, errors = _flatten(body)
    try:
        command = parse_new_code(raw)
    except InvalidRequest as invalid:
        errors.update({API_NAME.get(name, name): message for name, message in invalid.errors.items()})
    if errors:
        return _invalid(errors)
    reference = requests.submit_new_code_alone(command, clock.now())
    location = url_for("api.request_status", reference=reference)
    return jsonify({"reference": reference, "status": RequestStatus.RECEIVED}), 202, {"Location": location}


@bp.get("/requests/<path:reference>")
def request_status(reference: str) -> Response | JsonReply:
    status = None
    if REFERENCE.fullmatch(reference):  # never send arbitrary path text to the database
        with db.unit_of_work() as session:
            status = requests.public_status(session, reference, clock.now())
    if status is None:
        return _fail(404, "not_found", "There is no request with this reference.")
    return jsonify(status)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> JsonReply:
    return _fail(413, "too_large", f"The request body may be at most {MAX_BODY} bytes; a trustee-code request "
                                   f"with its power of attorney at most {MAX_TRUSTEE_BODY} bytes (a 10 MB PDF).")


def _flatten(body: dict[str, Any]) -> tuple[dict[str, object], dict[str, str]]:
    """The API's nested shape to the domain's flat fields, with an error for each unknown or misplaced field."""
    errors = {name: "Unknown field." for name in body if name not in TOP_LEVEL}
    if body.get("kind") not in KINDS:
        errors["kind"] = "Only \"new_code\", \"trustee_code\" or \"stale_logins\" is accepted."
    raw: dict[str, object] = {name: body[name] for name in TOP_LEVEL - {"kind", "requester"} if name in body}
    raw.setdefault("language", i18n.current())
    requester = body.get("requester", {})
    if not isinstance(requester, dict):
        errors["requester"] = "The requester must be an object with name, role, email and phone."
        requester = {}
    errors.update({f"requester.{name}": "Unknown field." for name in requester if name not in REQUESTER})
    raw.update({REQUESTER[name]: value for name, value in requester.items() if name in REQUESTER})
    return raw, errors


def _submit_trustee_code(body: dict[str, Any]) -> JsonReply:
    """R15: every field and the PDF are checked before anything is stored; the 202 follows the commit."""
    raw, errors = _flatten({name: value for name, value in body.items() if name in TOP_LEVEL})
    errors.update({name: "Unknown field." for name in body if name not in TRUSTEE_TOP_LEVEL})
    trustee = body.get("trustee", {})
    if not isinstance(trustee, dict):
        errors["trustee"] = "The trustee must be an object with name, uid, address, language and contact."
        trustee = {}
    errors.update({f"trustee.{name}": "Unknown field." for name in trustee if name not in TRUSTEE})
    raw.update({TRUSTEE[name]: value for name, value in trustee.items() if name in TRUSTEE})
    command = None
    try:
        command = parse_trustee_code(raw)
    except InvalidRequest as invalid:
        errors.update({API_NAME.get(name, name): message for name, message in invalid.errors.items()})
    pdf, filename, problem = _document(body.get("power_of_attorney"))
    if problem == documents_too_large():
        return _fail(413, "too_large", problem)
    if problem:
        errors["power_of_attorney"] = problem
    if errors or command is None:
        return _invalid(errors)
    with db.unit_of_work() as session:
        reference = trustee_codes.submit(session, command, pdf, filename, clock.now())
    location = url_for("api.request_status", reference=reference)
    return jsonify({"reference": reference, "status": RequestStatus.RECEIVED}), 202, {"Location": location}


def _submit_stale_logins(body: dict[str, Any]) -> JsonReply:
    """R17: the member lists the logins to deactivate; every field and row is checked before anything is stored."""
    raw, errors = _flatten({name: value for name, value in body.items() if name in TOP_LEVEL})
    errors.update({name: "Unknown field." for name in body if name not in STALE_TOP_LEVEL})
    raw["logins"] = body.get("logins")
    command = None
    try:
        command = parse_stale_logins(raw)
    except InvalidRequest as invalid:
        errors.update({API_NAME.get(name, name): message for name, message in invalid.errors.items()})
    if errors or command is None:
        return _invalid(errors)
    with db.unit_of_work() as session:
        reference = requests.submit_stale_logins(session, command, clock.now())
    location = url_for("api.request_status", reference=reference)
    return jsonify({"reference": reference, "status": RequestStatus.RECEIVED}), 202, {"Location": location}


def documents_too_large() -> str:
    return f"The power of attorney may be at most {documents.MAX_BYTES // (1024 * 1024)} MB."


def _document(value: object) -> tuple[bytes, str, str]:
    """The attached PDF: (content, filename, problem). Checked by its content, as on the public form."""
    if not isinstance(value, dict) or set(value) - {"filename", "content_base64"} \
            or not isinstance(value.get("content_base64"), str) or not isinstance(value.get("filename", ""), str):
        return b"", "", "Attach the power of attorney as {\"filename\": ..., \"content_base64\": ...}."
    try:
        data = base64.b64decode(value["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        return b"", "", "content_base64 is not valid base64."
    if len(data) > documents.MAX_BYTES:
        return b"", "", documents_too_large()
    try:
        documents.check_pdf(data)
    except documents.DocumentRejected as exc:
        return b"", "", f"The power of attorney cannot be accepted: {exc}."
    return data, str(value.get("filename") or "power-of-attorney.pdf"), ""


def _invalid(fields: dict[str, str]) -> JsonReply:
    return jsonify({"error": "invalid_request", "message": "Some fields are missing or invalid.",
                    "fields": fields}), 422


def _fail(status: int, error: str, message: str) -> JsonReply:
    return jsonify({"error": error, "message": message}), status
