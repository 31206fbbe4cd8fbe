"""The OpenAPI 3.1 document of the JSON API, written by hand. Its limits come from core.domain.requests and
core.domain.trustee_requests, so the document and the checks cannot drift apart: whatever the document calls
invalid, the API refuses (422)."""

from __future__ import annotations

from typing import Any

from core.desk.documents import MAX_BYTES
from core.domain.request_status import PublicState
from core.domain.requests import (
    LANGUAGES,
    MAX_LENGTHS,
    MULTI_LINE,
    ONE_LINE,
    PHONE_PATTERN,
    REFERENCE_PATTERN,
    UID_PATTERN,
)
from core.domain.stale_login_requests import EMAIL_MAX, MAX_ROWS, NAME_MAX
from core.domain.trustee_requests import POSTCODE_PATTERN, TRUSTEE_LENGTHS

BASE64_PATTERN = r"^[A-Za-z0-9+/]*={0,2}$"


def _trustee_text(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": TRUSTEE_LENGTHS[name], "pattern": ONE_LINE,
                              "description": description}
    if required:
        schema["minLength"] = 1
    return schema


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
    "TrusteeCodeRequest": {
        "type": "object",
        "additionalProperties": False,
        "description": "The member's written request that the fund send a code directly to its trustee (R15). "
                       "Staff decide; if the member has an active administrator, no code is sent and the "
                       "administrators are told by e-mail that they can give the trustee access in connect. The "
                       "answer and the public status read the same either way (R21).",
        "required": ["kind", "member_number", "uid", "company_name", "requester", "reason", "trustee",
                     "power_of_attorney"],
        "properties": {
            "kind": {"type": "string", "enum": ["trustee_code"]},
            "member_number": _text("member_number", "The member number, as on the fund's letters."),
            "uid": {"type": "string", "maxLength": MAX_LENGTHS["uid"], "pattern": UID_PATTERN,
                    "description": "The member's UID (CHE-123.456.789); its check digit is verified (R19)."},
            "company_name": _text("company_name", "The member company's name."),
            "requester": {"$ref": "#/components/schemas/Requester"},
            "reason": _text("reason", "Why the trustee should receive the code.", pattern=MULTI_LINE),
            "language": {"type": "string", "enum": list(LANGUAGES),
                         "description": "Language for the acknowledgement; by default the Accept-Language."},
            "trustee": {"$ref": "#/components/schemas/Trustee"},
            "power_of_attorney": {"$ref": "#/components/schemas/Document"},
        },
    },
    "StaleLoginsRequest": {
        "type": "object",
        "additionalProperties": False,
        "description": "The member asks the fund to deactivate logins of people who have left (Situation 2, R17). "
                       "A person at the fund matches the listed names against the member's logins and deactivates "
                       "them only while the member has no active administrator; a confirmation letter goes to the "
                       "address on file. The public status reads the same whatever matched (R21).",
        "required": ["kind", "member_number", "uid", "company_name", "requester", "reason", "logins"],
        "properties": {
            "kind": {"type": "string", "enum": ["stale_logins"]},
            "member_number": _text("member_number", "The member number, as on the fund's letters."),
            "uid": {"type": "string", "maxLength": MAX_LENGTHS["uid"], "pattern": UID_PATTERN,
                    "description": "The member's UID (CHE-123.456.789); its check digit is verified (R19)."},
            "company_name": _text("company_name", "The member company's name."),
            "requester": {"$ref": "#/components/schemas/Requester"},
            "reason": _text("reason", "Why these logins should end, e.g. the people have left the company.",
                            pattern=MULTI_LINE),
            "language": {"type": "string", "enum": list(LANGUAGES),
                         "description": "Language for the acknowledgement; by default the Accept-Language."},
            "logins": {"type": "array", "minItems": 1, "maxItems": MAX_ROWS,
                       "items": {"$ref": "#/components/schemas/NamedLogin"},
                       "description": "The logins to deactivate, as the member knows them. Errors name a row "
                                      "from 0, e.g. `logins.2.last_name`."},
        },
    },
    "NamedLogin": {
        "type": "object",
        "additionalProperties": False,
        "description": "One login: the person's first and last name, the login's e-mail address, or both.",
        "anyOf": [{"required": ["first_name", "last_name"],
                   "properties": {"first_name": {"minLength": 1}, "last_name": {"minLength": 1}}},
                  {"required": ["email"], "properties": {"email": {"minLength": 1}}}],
        "properties": {
            "first_name": {"type": "string", "maxLength": NAME_MAX, "pattern": ONE_LINE},
            "last_name": {"type": "string", "maxLength": NAME_MAX, "pattern": ONE_LINE},
            "email": {"type": "string", "maxLength": EMAIL_MAX, "pattern": ONE_LINE,
                      "anyOf": [{"maxLength": 0}, {"format": "email"}],
                      "description": "The login's e-mail address; empty when only the name is known."},
        },
    },
    "Trustee": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "uid", "postcode", "town", "contact_name", "contact_email"],
        "description": "The trustee company as the member gives it; staff confirm it against the power of attorney "
                       "before a letter goes to its address (R1). Give a street, a PO box or both.",
        "properties": {
            "name": _trustee_text("trustee_name", "The trustee company's name.", required=True),
            "uid": {"type": "string", "maxLength": TRUSTEE_LENGTHS["trustee_uid"], "pattern": UID_PATTERN,
                    "description": "The trustee's UID; its check digit is verified (R19).",
                    "examples": ["CHE-109.322.551"]},
            "care_of": _trustee_text("trustee_care_of", "An additional address line."),
            "street": _trustee_text("trustee_street", "Street and number."),
            "po_box": _trustee_text("trustee_po_box", "PO box, e.g. Postfach."),
            "postcode": {"type": "string", "pattern": POSTCODE_PATTERN, "description": "4-digit Swiss postcode."},
            "town": _trustee_text("trustee_town", "Town.", required=True),
            "language": {"type": "string", "enum": list(LANGUAGES), "default": "de",
                         "description": "The language of the letter to the trustee."},
            "contact_name": _trustee_text("contact_name", "The contact person at the trustee.", required=True),
            "contact_email": {"type": "string", "format": "email", "maxLength": TRUSTEE_LENGTHS["contact_email"],
                              "pattern": ONE_LINE, "description": "The contact person's e-mail; never gets a code."},
        },
    },
    "Document": {
        "type": "object",
        "additionalProperties": False,
        "required": ["content_base64"],
        "description": f"The signed power of attorney: a PDF of at most {MAX_BYTES // (1024 * 1024)} MB, checked by "
                       "its content. A larger one is refused with 413, anything that is not a readable PDF with 422.",
        "properties": {
            "filename": {"type": "string", "maxLength": 200, "pattern": ONE_LINE},
            "content_base64": {"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN,
                               "minLength": 4, "contentMediaType": "application/pdf"},
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
        "required": ["reference", "kind", "status", "received_on", "processed_by", "answer_by"],
        "additionalProperties": False,
        "description": (
            "The public status (R21). It depends only on the kind and the day the request was received, never on "
            "whether the member number, UID or administrators matched or whether a letter went out: `received` "
            "until the end of `processed_by` (Europe/Zurich), then `processed`. If the details match and the "
            "member has no active administrator, the letter reaches the address on file by `answer_by`; if the "
            "member has an active administrator, they are told by e-mail instead; if nothing has arrived by "
            "`answer_by`, contact the fund quoting the reference."),
        "properties": {
            "reference": {"type": "string"},
            "kind": {"type": "string", "enum": ["new_code", "trustee_code", "stale_logins", "support"]},
            "status": {"type": "string", "enum": [state.value for state in PublicState],
                       "description": "`received`: being processed; `processed`: the processing time is over."},
            "received_on": {"type": "string", "format": "date"},
            "processed_by": {"type": "string", "format": "date",
                             "description": "The last day of processing (working days, Europe/Zurich)."},
            "answer_by": {"type": "string", "format": "date",
                          "description": "If no letter or e-mail has arrived by the end of this day, contact the "
                                         "fund."},
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
        "description": "Ask the fund for a new connect registration code (Situation 2), or for a code sent "
                       "directly to the member's trustee with a power of attorney (Situation 3 (b), R15), or ask "
                       "the fund to deactivate logins of people who have left (Situation 2, R17). A code "
                       "only ever goes by post to the address the fund holds (R1).",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/requests": {
            "post": {
                "operationId": "submitRequest",
                "summary": "Ask for a new registration code, for a code sent to the member's trustee, or for old "
                           "logins to be deactivated",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/NewCodeRequest"},
                    {"$ref": "#/components/schemas/TrusteeCodeRequest"},
                    {"$ref": "#/components/schemas/StaleLoginsRequest"}]}}}},
                "responses": {
                    "202": {"description": "Stored; the fund decides shortly.",
                            "headers": {"Location": {"description": "Where the status can be read.",
                                                     "schema": {"type": "string"}}},
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Accepted"}}}},
                    "400": _error("The body is not valid JSON."),
                    "413": _error("The body is too large, or the power of attorney is larger than 10 MB."),
                    "415": _error("The body is not application/json."),
                    "422": {"description": "Some fields are missing or invalid; each is named.",
                            "content": {"application/json": {"schema": {"anyOf": [
                                {"$ref": "#/components/schemas/ValidationError"},
                                {"$ref": "#/components/schemas/Error"}]}}}},
                    "429": {**_error("Too many requests from this address; try again after `Retry-After` seconds."),
                            "headers": {"Retry-After": {"description": "Seconds to wait.",
                                                        "schema": {"type": "string"}}}},
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
