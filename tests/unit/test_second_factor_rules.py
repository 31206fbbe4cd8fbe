"""R8 second factors: SMS one-time codes (expiry, single use, resend, hourly limit, wrong tries), recovery codes,
the file SMS gateway, and the session timeouts. SMS codes run through the real service on in-memory SQLite."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from core import config, sms
from core.domain import second_factor as rules
from core.domain import sessions
from core.domain.second_factor import SmsCheck
from core.domain.sessions import Ended
from core.domain.states import SmsCodeStatus
from core.logins import sms_codes
from core.models import Base, OutboxMessage, SmsCode

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUBJECT, PURPOSE, MOBILE = "login:17", "login", "+41791234567"


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s


def send(session, now=NOW, subject=SUBJECT, purpose=PURPOSE, lang="de") -> bool:
    return sms_codes.send_code(session, purpose=purpose, subject=subject, mobile=MOBILE, lang=lang, now=now)


def last_code(session) -> str:
    """The code as the person reads it: from the queued message's text."""
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.task == "sms.send")
                          .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"\b(\d{6})\b", row.args["text"]).group(1)


def check(session, code, now=NOW, subject=SUBJECT, purpose=PURPOSE) -> SmsCheck:
    return sms_codes.check(session, purpose=purpose, subject=subject, code=code, now=now)


def other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_r8_sms_code_has_six_digits_and_is_stored_only_as_a_keyed_hash(session):
    assert send(session)
    code = last_code(session)
    row = session.scalar(select(SmsCode))
    assert re.fullmatch(r"\d{6}", code)
    assert code not in row.code_hash and len(row.code_hash) == 64
    outbox = session.scalar(select(OutboxMessage))
    assert outbox.args["to"] == MOBILE and re.fullmatch(rf"sms:{row.id}:[0-9a-f]{{8}}", outbox.key)


def test_r8_sms_text_is_in_the_recipients_language(session):
    send(session, lang="fr")
    text = session.scalar(select(OutboxMessage)).args["text"]
    assert "votre code est" in text and "5 minutes" in text


def test_r8_sms_code_works_until_five_minutes_and_not_after(session):
    send(session)
    code = last_code(session)
    assert check(session, code, NOW + timedelta(minutes=5, seconds=-1)) == SmsCheck.OK
    send(session, NOW + timedelta(minutes=6))
    late = last_code(session)
    assert check(session, late, NOW + timedelta(minutes=11)) == SmsCheck.EXPIRED
    assert not sms_codes.check_code(session, purpose=PURPOSE, subject=SUBJECT, code=late,
                                    now=NOW + timedelta(minutes=11))


def test_r8_sms_code_works_once(session):
    send(session)
    code = last_code(session)
    assert sms_codes.check_code(session, purpose=PURPOSE, subject=SUBJECT, code=code, now=NOW)
    assert check(session, code, NOW + timedelta(seconds=5)) == SmsCheck.USED
    assert not sms_codes.check_code(session, purpose=PURPOSE, subject=SUBJECT, code=code, now=NOW)


def test_r8_a_resend_replaces_the_earlier_code(session):
    send(session)
    first = last_code(session)
    send(session, NOW + timedelta(seconds=30))
    second = last_code(session)
    if first == second:  # one chance in a million: the old row is still replaced
        pytest.skip("the same code was drawn twice")
    assert check(session, first, NOW + timedelta(seconds=40)) == SmsCheck.WRONG
    assert check(session, second, NOW + timedelta(seconds=40)) == SmsCheck.OK
    assert [r.status for r in session.scalars(select(SmsCode).order_by(SmsCode.id))] == [
        SmsCodeStatus.REPLACED, SmsCodeStatus.USED]


def test_r8_at_most_five_sms_per_hour_per_subject_and_purpose(session):
    for minute in range(5):
        assert send(session, NOW + timedelta(minutes=minute))
    assert not send(session, NOW + timedelta(minutes=10))
    assert send(session, NOW + timedelta(minutes=10), purpose="enrol")  # another purpose has its own count
    assert send(session, NOW + timedelta(minutes=10), subject="login:18")
    assert not send(session, NOW + timedelta(minutes=59, seconds=59))
    assert send(session, NOW + timedelta(minutes=60, seconds=1))  # the first send has left the hour


def test_r8_five_wrong_entries_void_the_code(session):
    send(session)
    code = last_code(session)
    for _ in range(4):
        assert check(session, other(code)) == SmsCheck.WRONG
    assert check(session, code) == SmsCheck.OK  # four wrong tries still leave the right code usable
    send(session, NOW + timedelta(minutes=1))
    code = last_code(session)
    for _ in range(5):
        check(session, other(code), NOW + timedelta(minutes=1))
    assert check(session, code, NOW + timedelta(minutes=1)) == SmsCheck.VOID


def test_r8_a_code_works_only_for_its_subject_and_purpose(session):
    send(session)
    code = last_code(session)
    assert check(session, code, subject="login:18") == SmsCheck.NONE
    assert check(session, code, purpose="enrol") == SmsCheck.NONE
    assert check(session, code) == SmsCheck.OK


def test_r8_spaces_in_a_typed_sms_code_do_not_matter(session):
    send(session)
    code = last_code(session)
    assert check(session, f" {code[:3]} {code[3:]} ") == SmsCheck.OK


def test_r8_recovery_codes_are_eight_distinct_65_bit_codes():
    codes = rules.new_recovery_codes()
    assert len(codes) == 8 == len(set(codes))
    for code in codes:
        assert len(code) == 13 and rules.read_recovery_code(code) == code
        shown = rules.show_recovery_code(code)
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", shown)
        assert rules.read_recovery_code(shown.lower()) == code
    assert rules.RECOVERY_LENGTH * 5 >= 64


@pytest.mark.parametrize("typed", ["123456", "ABCD-EFGH-JKMNU", "ABCD-EFGH-JKMN", "ABCD-EFGH-JKMNPQ"])
def test_r8_text_that_cannot_be_a_recovery_code_is_not_read(typed):
    assert rules.read_recovery_code(typed) is None


def test_file_gateway_writes_one_file_per_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SMS_URL", raising=False)
    monkeypatch.delenv("SMS_DIR", raising=False)
    config.reset()
    try:
        sms.send(MOBILE, "hello 123456", key="sms:1")
        sms.send(MOBILE, "hello 123456", key="sms:1")  # a retried task writes the same file
        files = list((tmp_path / "sms").iterdir())
        assert [f.name for f in files] == ["sms_1.txt"]
        assert files[0].read_text() == f"To: {MOBILE}\n\nhello 123456"
    finally:
        config.reset()


class _Provider:
    """A local stand-in for an SMS provider: records requests, answers with a set status."""

    def __init__(self, status: int) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                received.append((self.headers["Authorization"], json.loads(self.rfile.read(length))))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [200, 202])
def test_http_gateway_posts_json_with_a_bearer_token(monkeypatch, status):
    provider = _Provider(status)
    monkeypatch.setenv("SMS_URL", provider.url)
    monkeypatch.setenv("SMS_TOKEN", "t0ken")
    config.reset()
    try:
        sms.send(MOBILE, "hello", key="k")
        assert provider.received == [("Bearer t0ken", {"to": MOBILE, "text": "hello"})]
    finally:
        provider.close()
        config.reset()


def test_http_gateway_raises_without_the_text_when_the_provider_refuses(monkeypatch):
    provider = _Provider(500)
    monkeypatch.setenv("SMS_URL", provider.url)
    config.reset()
    try:
        with pytest.raises(OSError) as refused:  # an OSError: the task retries it
            sms.send(MOBILE, "your code is 654321", key="k")
        assert "500" in str(refused.value) and "654321" not in str(refused.value)
    finally:
        provider.close()
        config.reset()


# Session timeouts: pure decisions, the clock passed in.


def test_a_session_goes_on_within_30_minutes_of_the_last_request():
    assert sessions.ended(NOW, NOW + timedelta(hours=2), NOW + timedelta(hours=2, minutes=29, seconds=59)) is None


def test_a_session_ends_after_30_minutes_without_a_request():
    assert sessions.ended(NOW, NOW, NOW + timedelta(minutes=30)) == Ended.IDLE
    assert sessions.ended(NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=1, minutes=31)) == Ended.IDLE


def test_a_session_ends_12_hours_after_login_however_busy():
    assert sessions.ended(NOW, NOW + timedelta(hours=11, minutes=59), NOW + timedelta(hours=11, minutes=59,
                                                                                        seconds=59)) is None
    assert sessions.ended(NOW, NOW + timedelta(hours=11, minutes=59), NOW + timedelta(hours=12)) == Ended.ABSOLUTE
    # Both limits passed: the absolute one is the reason given.
    assert sessions.ended(NOW, NOW, NOW + timedelta(hours=13)) == Ended.ABSOLUTE


def test_a_session_without_its_times_is_over():
    assert sessions.ended(None, NOW, NOW) == Ended.UNKNOWN
    assert sessions.ended(NOW, None, NOW) == Ended.UNKNOWN


def test_the_last_request_time_is_written_at_most_every_30_seconds():
    assert not sessions.should_note_seen(NOW, NOW + timedelta(seconds=29))
    assert sessions.should_note_seen(NOW, NOW + timedelta(seconds=30))
