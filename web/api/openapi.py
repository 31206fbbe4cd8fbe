"""The OpenAPI 3.1 document of the JSON API, written by hand. Its limits come from core.domain.requests, so the
document and the checks cannot drift apart: whatever the document calls invalid, the API refuses (422)."""

from __future__ import annotations

from typing import Any

from core.domain.requests import (
    LANGUAGES,
    MAX_LENGTHS,
    MULTI_LINE,
    ONE_LINE,
    PHONE_PATTERN,
    REFERENCE_PATTERN,
    UID_PATTERN,
    PublicStatus,
)


def _text(name: str, description: str, *, required: bool = True, pattern: str = ONE_LINE) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": MAX_LENGTHS[name], "pattern": pattern,
                              "description": description}
    if required:
        schema["minLength"] = 1
    return schema


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


UNAVAILABLE = {**_error("The database is briefly unavailable; nothing was saved. Try again later."),
               "headers": {"Retry-After": {"schema": {"type": "string"}}}}

SCHEMAS: dict[str, Any] = {
    "NewCodeRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "member_number", "uid", "company_name", "requester", "reason"],
        "properties": {
            "kind": {"type": "string", "enum": ["new_code"]},
            "member_number": _text("member_number", "The member number, as on the fund's letters."),
            "uid": {"type": "string", "maxLength": MAX_LENGTHS["uid"], "pattern": UID_PATTERN,
                    "description": "The company's UID (CHE-123.456.789); its check digit is verified (R19).",
                    "examples": ["CHE-100.155.212"]},
            "company_name": _text("company_name", "The company's name."),
            "requester": {"$ref": "#/components/schemas/Requester"},
            "reason": _text("reason", "Why nobody in the company can create logins any more.",
                            pattern=MULTI_LINE),
            "administrators_cannot_help": {
                "type": "boolean", "default": False,
                "description": "An administrator is still registered but cannot help; the reason says why.",
            },
            "language": {"type": "string", "enum": list(LANGUAGES),
                         "description": "Language for the acknowledgement; by default the Accept-Language."},
        },
    },
    "Requester": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "role", "email"],
        "properties": {
            "name": _text("requester_name", "The requester's full name."),
            "role": _text("requester_role", "The requester's role in the company."),
            "email": {"type": "string", "format": "email", "maxLength": MAX_LENGTHS["requester_email"],
                      "pattern": ONE_LINE, "description": "For the acknowledgement only; never gets a code."},
            "phone": _text("requester_phone", "Optional; Swiss numbers may omit +41.", required=False,
                           pattern=PHONE_PATTERN),
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["reference", "status"],
        "properties": {"reference": {"type": "string"}, "status": {"type": "string", "enum": ["received"]}},
    },
    "RequestStatus": {
        "type": "object",
        "required": ["reference", "kind", "status"],
        "description": "The public status: never whether the member exists or whether a letter went out.",
        "properties": {
            "reference": {"type": "string"},
            "kind": {"type": "string", "enum": ["new_code"]},
            "status": {"type": "string", "enum": [status.value for status in PublicStatus]},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "ValidationError": {
        "type": "object",
        "required": ["error", "fields"],
        "properties": {
            "error": {"type": "string", "enum": ["invalid_request"]},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "One message per bad field, e.g. `uid` or `requester.email`."},
        },
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "connect back office: requests",
        "version": "1.0.0",
        "description": "Ask the fund for a new connect registration code (Situation 2). A code only ever goes by "
                       "post to the address the fund holds (R1); this API never says whether a member exists.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/requests": {
            "post": {
                "operationId": "submitRequest",
                "summary": "Ask for a new registration code",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NewCodeRequest"}}}},
                "responses": {
                    "202": {"description": "Stored; the fund decides shortly.",
                            "headers": {"Location": {"description": "Where the status can be read.",
                                                     "schema": {"type": "string"}}},
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Accepted"}}}},
                    "400": _error("The body is not valid JSON."),
                    "413": _error("The body is too large."),
                    "415": _error("The body is not application/json."),
                    "422": {"description": "Some fields are missing or invalid; each is named.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/ValidationError"}}}},
                    "503": UNAVAILABLE,
                },
            },
        },
        "/requests/{reference}": {
            "get": {
                "operationId": "getRequestStatus",
                "summary": "The public status of a request",
                "parameters": [{"name": "reference", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": REFERENCE_PATTERN},
                                "example": "R-7K2M-Q9XD"}],
                "responses": {
                    "200": {"description": "The request's public status.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/RequestStatus"}}}},
                    "404": _error("No request with this reference."),
                    "503": UNAVAILABLE,
                },
            },
        },
    },
    "components": {"schemas": SCHEMAS},
}
