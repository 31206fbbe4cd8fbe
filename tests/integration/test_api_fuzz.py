"""Schemathesis drives the JSON API from its own OpenAPI document: valid and invalid inputs alike must never
give a server error, and every answer must be one the document describes (status, content type, schema)."""

from __future__ import annotations

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from web import create_app

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=60,
                                deterministic=True)
# Not positive_data_acceptance: a schema cannot state the UID's check digit (R19), so some schema-valid bodies get
# a rightful 422.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]


@schema.parametrize()
def test_api_keeps_to_its_document_and_never_fails_with_5xx(case, pg_database):  # session-wide: hypothesis reruns
    case.call_and_validate(checks=CHECKS)
