"""`backoffice doctor`: is this installation set up to run? Each finding says what is wrong and how to fix it,
in words for whoever installs it. Never prints a secret (nor the password in SMTP_URL)."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from core import config, health
from core.db import make_engine
from core.operations.retention import Periods

SMTP_TIMEOUT_S = 5
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
MAKE_FERNET = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    summary: str
    fix: str = ""


def diagnose(settings: config.Settings) -> list[Finding]:
    checks: list[Callable[[config.Settings], list[Finding]]] = [
        _secrets, _database, _broker, _directories, _smtp, _retention]
    return [finding for check in checks for finding in check(settings)]


def _secret(name: str, value: str, settings: config.Settings) -> Finding:
    if not settings.is_production:
        note = "the development value (fine in development and tests)" if value == config.DEV_SECRET else "set"
        return Finding(name, True, note)
    reason = config.weak_secret(value) if value else "not set"
    if reason:
        return Finding(name, False, f"{reason} (ENVIRONMENT is {settings.environment!r})",
                       f"set {name} to a long random value of your own: {MAKE_SECRET}")
    return Finding(name, True, "set")


def _secrets(settings: config.Settings) -> list[Finding]:
    findings = [_secret("SECRET_KEY", settings.secret_key, settings),
                _secret("CODE_HMAC_SECRET", settings.code_hmac_secret, settings)]
    if settings.is_production and settings.secret_key == settings.code_hmac_secret != config.DEV_SECRET:
        findings.append(Finding("CODE_HMAC_SECRET", False, "the same value as SECRET_KEY",
                                "give each secret its own value, so that one leaking does not give away the other"))
    findings.append(_fernet_key(settings))
    return findings


def _fernet_key(settings: config.Settings) -> Finding:
    from cryptography.fernet import Fernet

    try:
        Fernet(settings.totp_encryption_key)
    except (ValueError, TypeError):
        return Finding("TOTP_ENCRYPTION_KEY", False, "not a valid Fernet key", f"generate one: {MAKE_FERNET}")
    if settings.is_production and settings.totp_encryption_key == config.DEV_TOTP_KEY:
        return Finding("TOTP_ENCRYPTION_KEY", False, "still the development key in production",
                       f"generate your own before the first login is registered: {MAKE_FERNET}")
    return Finding("TOTP_ENCRYPTION_KEY", True, "a valid key")


def _database(settings: config.Settings) -> list[Finding]:
    engine = make_engine(settings.database_url)
    try:
        reached = health.database(engine)
        if not reached.ok:
            return [Finding("database", False, reached.problem or "",
                            "check DATABASE_URL (host, port, name, user, password) and that the server runs")]
        schema = health.migrations(engine)
        if not schema.ok:
            return [Finding("database", True, "answers"),
                    Finding("migrations", False, schema.problem or "", "run `backoffice db upgrade`")]
        return [Finding("database", True, "answers"), Finding("migrations", True, "current")]
    finally:
        engine.dispose()


def _broker(settings: config.Settings) -> list[Finding]:
    reached = health.broker(settings.broker_url)
    if not reached.ok:
        return [Finding("broker", False, reached.problem or "",
                        "check BROKER_URL (for Redis: redis://host:6379/0) and that the server runs")]
    return [Finding("broker", True, "answers")]


def _writable(directory: Path) -> str | None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"{directory} is not writable ({exc.strerror or type(exc).__name__})"
    return None


def _directories(settings: config.Settings) -> list[Finding]:
    findings = []
    wanted = [("letters directory", "LETTERS_DIR", settings.letters_dir)]
    if not settings.smtp_url:
        wanted.append(("mail directory", "MAIL_DIR", settings.mail_dir))
    for name, variable, directory in wanted:
        problem = _writable(directory)
        findings.append(Finding(name, problem is None, problem or f"{directory} is writable",
                                f"create it and let the user running the back office write to it, or set "
                                f"{variable} to a directory that is"))
    if settings.smtp_url:
        findings.append(Finding("mail directory", True, "not used: mail goes to SMTP_URL"))
    return findings


def _smtp(settings: config.Settings) -> list[Finding]:
    if not settings.smtp_url:
        return [Finding("SMTP", True, f"not set: mail is written as .eml files to {settings.mail_dir}")]
    url = urlparse(settings.smtp_url)
    where = f"{url.hostname}:{url.port or (465 if url.scheme == 'smtps' else 25)}"
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with smtp_class(url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25),
                        timeout=SMTP_TIMEOUT_S) as smtp:
            smtp.ehlo()
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(url.username, url.password or "")
            smtp.noop()
    except smtplib.SMTPAuthenticationError:
        return [Finding("SMTP", False, f"{where} refused the user name or password in SMTP_URL",
                        "check the user and password in SMTP_URL")]
    except (OSError, smtplib.SMTPException) as exc:
        return [Finding("SMTP", False, f"{where} does not answer ({type(exc).__name__})",
                        "check the host and port in SMTP_URL (smtp://, smtps:// or smtp+starttls://) and the "
                        "firewall")]
    return [Finding("SMTP", True, f"{where} answers")]


def _retention(_settings: config.Settings) -> list[Finding]:
    try:
        periods = Periods.from_environment()
    except ValueError:
        return [Finding("retention", False, "a RETENTION_* variable is not a whole number of days",
                        "set each RETENTION_* variable to a number of days, or leave it unset for the default")]
    problems = periods.problems()
    if problems:
        return [Finding("retention", False, "; ".join(problems), "correct the RETENTION_* variables")]
    audit = "never removed" if periods.audit is None else f"removed after {periods.audit} days"
    return [Finding("retention", True, f"requests {periods.requests} days after closing, codes {periods.codes}, "
                                       f"letter PDFs {periods.letters}; audit events {audit}")]
