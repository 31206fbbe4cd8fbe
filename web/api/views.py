"""The JSON API: requests for a new code, their public status, and the OpenAPI document.

Every answer is JSON, including the faults (400, 404, 413, 415, 422); a database outage becomes 503 in the app
factory. 202 is sent only after the request and its outbox row are committed together.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from core import clock, db
from core.domain.requests import REFERENCE_PATTERN, InvalidRequest, parse_new_code
from core.services import requests
from web import i18n
from web.api import bp
from web.api.openapi import DOCUMENT
from worker.nudge import relay_soon

MAX_BODY = 16 * 1024  # a request is a few hundred bytes; the reason is at most 2000 characters
TOP_LEVEL = {"kind", "member_number", "uid", "company_name", "requester", "reason", "administrators_cannot_help",
             "language"}
# API name -> the name in core.domain.requests.NewCodeRequest
REQUESTER = {"name": "requester_name", "role": "requester_role", "email": "requester_email",
             "phone": "requester_phone"}
API_NAME = {domain: f"requester.{api}" for api, domain in REQUESTER.items()}
REFERENCE = re.compile(REFERENCE_PATTERN)

JsonReply = tuple[Response, int] | tuple[Response, int, dict[str, str]]


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)


@bp.post("/requests")
def submit() -> JsonReply:
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        return _fail(415, "unsupported_media_type", "Send the request body as application/json.")
    request.max_content_length = MAX_BODY  # reading more raises 413, answered below as JSON
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        return _fail(400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _invalid({"body": "The body must be a JSON object."})
    raw, errors = _flatten(body)
    try:
        command = parse_new_code(raw)
    except InvalidRequest as invalid:
        errors.update({API_NAME.get(name, name): message for name, message in invalid.errors.items()})
    if errors:
        return _invalid(errors)
    with db.unit_of_work() as session:
        reference = requests.submit_new_code(session, command, clock.now())
    relay_soon()
    location = url_for("api.request_status", reference=reference)
    return jsonify({"reference": reference, "status": "received"}), 202, {"Location": location}


@bp.get("/requests/<path:reference>")
def request_status(reference: str) -> Response | JsonReply:
    status = None
    if REFERENCE.fullmatch(reference):  # never send arbitrary path text to the database
        with db.unit_of_work() as session:
            status = requests.public_status(session, reference)
    if status is None:
        return _fail(404, "not_found", "There is no request with this reference.")
    return jsonify(status)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> JsonReply:
    return _fail(413, "too_large", f"The request body may be at most {MAX_BODY} bytes.")


def _flatten(body: dict[str, Any]) -> tuple[dict[str, object], dict[str, str]]:
    """The API's nested shape to the domain's flat fields, with an error for each unknown or misplaced field."""
    errors = {name: "Unknown field." for name in body if name not in TOP_LEVEL}
    if body.get("kind") != "new_code":
        errors["kind"] = "Only \"new_code\" is accepted."
    raw: dict[str, object] = {name: body[name] for name in TOP_LEVEL - {"kind", "requester"} if name in body}
    raw.setdefault("language", i18n.current())
    requester = body.get("requester", {})
    if not isinstance(requester, dict):
        errors["requester"] = "The requester must be an object with name, role, email and phone."
        requester = {}
    errors.update({f"requester.{name}": "Unknown field." for name in requester if name not in REQUESTER})
    raw.update({REQUESTER[name]: value for name, value in requester.items() if name in REQUESTER})
    return raw, errors


def _invalid(fields: dict[str, str]) -> JsonReply:
    return jsonify({"error": "invalid_request", "message": "Some fields are missing or invalid.",
                    "fields": fields}), 422


def _fail(status: int, error: str, message: str) -> JsonReply:
    return jsonify({"error": error, "message": message}), status
