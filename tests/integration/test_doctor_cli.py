"""`backoffice doctor`: says what is wrong with the installation and how to fix it; exit 1 if anything is."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from click.testing import CliRunner

from core.cli import main
from tests.integration.ops_support import NOWHERE_PORT, environment

STRONG = "k3Jx9-p2Vq8-Lm4Zr-7Tn1W-s6Yb0-Hc5Fd"


@contextmanager
def smtp_server() -> Iterator[int]:
    """A mail server that answers the few commands the doctor sends."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rwb") as stream:
            stream.write(b"220 test ESMTP\r\n")
            stream.flush()
            for line in stream:
                command = line.strip().upper()
                stream.write(b"250 test\r\n" if command.startswith((b"EHLO", b"NOOP")) else b"221 bye\r\n")
                stream.flush()
                if command.startswith(b"QUIT"):
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()
        thread.join(5)


def _doctor() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor"])
    return result.exit_code, result.output


def test_a_sound_installation_passes(pg, monkeypatch, tmp_path):
    with smtp_server() as port, environment(monkeypatch, SMTP_URL=f"smtp://127.0.0.1:{port}",
                                            LETTERS_DIR=str(tmp_path / "letters")):
        code, output = _doctor()
    assert code == 0, output
    assert "[ok  ] SMTP: 127.0.0.1:" in output and "All checks passed." in output


def test_development_secrets_in_production_are_named_with_the_fix(pg, monkeypatch):
    with environment(monkeypatch, ENVIRONMENT="production"):
        code, output = _doctor()
    assert code == 1
    assert "[FAIL] SECRET_KEY: still the development value (ENVIRONMENT is 'production')" in output
    assert "[FAIL] CODE_HMAC_SECRET" in output and "[FAIL] TOTP_ENCRYPTION_KEY" in output
    assert "fix: set SECRET_KEY to a long random value of your own" in output


def test_strong_secrets_in_production_pass_the_secret_checks(pg, monkeypatch):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    with environment(monkeypatch, ENVIRONMENT="production", SECRET_KEY=STRONG, CODE_HMAC_SECRET=STRONG[::-1],
                     TOTP_ENCRYPTION_KEY=key):
        code, output = _doctor()
    assert code == 0, output
    assert STRONG not in output and key not in output  # never prints a secret


def test_unreachable_broker_and_smtp_and_an_unwritable_directory_fail(pg, monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with environment(monkeypatch, BROKER_URL=f"redis://127.0.0.1:{NOWHERE_PORT}/0",
                     SMTP_URL=f"smtp://user:hunter2-secret@127.0.0.1:{NOWHERE_PORT}",
                     LETTERS_DIR=str(blocked / "letters")):
        code, output = _doctor()
    assert code == 1
    assert "[FAIL] broker: the broker does not answer" in output and "fix: check BROKER_URL" in output
    assert "[FAIL] SMTP: 127.0.0.1:1 does not answer" in output and "hunter2-secret" not in output
    assert "[FAIL] letters directory:" in output and "fix: create it" in output
    assert "[ok  ] database: answers" in output


def test_an_unreachable_database_fails(pg, monkeypatch):
    with environment(monkeypatch, DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{NOWHERE_PORT}/none"):
        code, output = _doctor()
    assert code == 1 and "[FAIL] database" in output and "fix: check DATABASE_URL" in output


def test_an_audit_retention_under_a_year_is_refused(pg, monkeypatch):
    with environment(monkeypatch, RETENTION_AUDIT_DAYS="30"):
        code, output = _doctor()
    assert code == 1 and "RETENTION_AUDIT_DAYS is 30" in output
