"""No secret in any log line or parked task (R18 spirit, R1, R8): keys that name a secret are masked, and so is
anything shaped like a registration or recovery code, whatever a caller passes. Request ids are kept sane."""

from __future__ import annotations

import io
import json
import logging

import structlog

from core import observability
from core.observability import REDACTED, accept_request_id, redact
from core.operations.operations import ids_of, mask_args


def test_r8_secret_keys_are_masked_whatever_their_value():
    event = redact(None, "info", {"event": "login.failed", "password": "Aare-Ufer", "otp": "493817",
                                  "totp_secret": "JBSWY3DPEHPK3PXP", "text": "Code 493817", "body": "…",
                                  "login_id": 17})
    assert event == {"event": "login.failed", "password": REDACTED, "otp": REDACTED, "totp_secret": REDACTED,
                     "text": REDACTED, "body": REDACTED, "login_id": 17}


def test_r1_a_code_shaped_value_is_masked_in_any_field():
    event = redact(None, "info", {"event": "typed 7K3M-Q9P2-XW4R-HB6T", "note": "7k3mq9p2xw4rhb6t",
                                  "recovery": "AB12-CD34-EF567", "reference": "R-ABCD-EFGH"})
    assert "7K3M" not in json.dumps(event) and "7k3m" not in json.dumps(event) and "AB12" not in json.dumps(event)
    assert event["reference"] == "R-ABCD-EFGH"  # a public reference is not a code


def test_ids_and_uuids_are_not_mistaken_for_codes():
    task_id = "3f2f066f-1eab-4a50-87a4-0b543e42a2d8"
    request_id = "2aba79cd946c4822870e28aaf817a5a5"
    assert redact(None, "info", {"event": "x", "task_id": task_id, "request_id": request_id}) == {
        "event": "x", "task_id": task_id, "request_id": request_id}


def test_request_ids_offered_by_a_proxy_are_kept_only_when_sane():
    assert accept_request_id("edge-1234-abcd") == "edge-1234-abcd"
    for hostile in ("", "short", "has space in it", "x" * 65, 'quote"injection', "line\nbreak"):
        replaced = accept_request_id(hostile)
        assert replaced != hostile and len(replaced) == 32


def test_r8_parked_arguments_of_a_text_message_are_all_masked():
    masked = mask_args("sms.send", {"to": "+41791234567", "text": "Ihr connect-Code: 493817"})
    assert masked == {"to": REDACTED, "text": REDACTED}
    assert mask_args("sms.send", ["+41791234567", "493817"]) == [REDACTED, REDACTED]


def test_parked_arguments_keep_ids_and_mask_texts():
    masked = mask_args("mail.send", {"to": "anna@example.ch", "subject": "Ihre Anfrage", "body": "Guten Tag",
                                     "nested": {"password": "x", "letter_ids": [1, 2]}})
    assert masked == {"to": "anna@example.ch", "subject": "Ihre Anfrage", "body": REDACTED,
                      "nested": {"password": REDACTED, "letter_ids": [1, 2]}}
    assert ids_of({"request_id": 5, "letter_ids": list(range(100)), "to": "x"}) == {
        "request_id": 5, "letter_ids": {"first": list(range(20)), "count": 100}}


def test_log_lines_are_json_with_the_bound_request_id():
    stream = io.StringIO()
    observability.configure_logging()
    handler = observability.json_handler(stream)
    logging.getLogger().addHandler(handler)
    try:
        observability.bind_request_id("edge-1234-abcd")
        structlog.get_logger("test").info("request.received", reference="R-ABCD-EFGH", password="secret words")
        logging.getLogger("some.library").warning("plain %s", "message")
    finally:
        observability.clear()
        logging.getLogger().removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "request.received" and first["request_id"] == "edge-1234-abcd"
    assert first["password"] == REDACTED and "timestamp" in first and first["level"] == "info"
    assert second["event"] == "plain message" and second["request_id"] == "edge-1234-abcd"
