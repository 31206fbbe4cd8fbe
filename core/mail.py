"""E-mail: rendered from `templates/email/<name>/{subject,body}.txt` when queued, sent by a task.

The templates are written in English; `{% trans %}` blocks take their translation from the gettext catalogues
(core.texts), in the recipient's language, whatever language the page that queued the mail was in.

Mail never carries a code, an OTP or a password; templates get only what the recipient may see.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache
from typing import Any
from urllib.parse import urlparse

from jinja2 import Environment
from sqlalchemy.orm import Session

from core import config, outbox, texts

LANGUAGES = texts.LANGUAGES


@cache
def _environment(lang: str) -> Environment:
    return texts.environment(config.ROOT / "templates" / "email", lang, keep_trailing_newline=False)


def render(name: str, lang: str, context: dict[str, Any]) -> tuple[str, str]:
    lang = lang if lang in LANGUAGES else "de"
    settings = config.get()
    values = {"fund_name": settings.fund_name_in(lang), "contact_email": settings.fund_contact_email,
              "contact_phone": settings.fund_contact_phone, "base_url": settings.public_base_url, **context}
    env = _environment(lang)
    subject = env.get_template(f"{name}/subject.txt").render(values).strip()
    body = env.get_template(f"{name}/body.txt").render(values)
    return subject, body


def queue(session: Session, *, to: str, name: str, lang: str, context: dict[str, Any], key: str, now: datetime) -> None:
    """Render now, send after commit: the outbox row rides in the caller's transaction."""
    subject, body = render(name, lang, context)
    outbox.add(session, "mail.send", {"to": to, "subject": subject, "body": body}, key=f"mail:{key}", now=now)


def build(to: str, subject: str, body: str) -> EmailMessage:
    settings = config.get()
    message = EmailMessage()
    message["From"] = f"{settings.fund_name} <{settings.mail_from}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.split("@")[-1])
    message.set_content(body)
    return message


def deliver(message: EmailMessage, key: str) -> None:
    """SMTP when SMTP_URL is set (smtp://user:pass@host:port, smtps:// for TLS); otherwise a .eml file."""
    settings = config.get()
    if not settings.smtp_url:
        settings.mail_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)
        target = settings.mail_dir / f"{safe}.eml"
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        temporary.replace(target)  # the same key writes the same file: a retried task sends once
        return
    url = urlparse(settings.smtp_url)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    port = url.port or (465 if url.scheme == "smtps" else 25)
    with smtp_class(url.hostname or "localhost", port, timeout=30) as smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls()
        if url.username:
            smtp.login(url.username, url.password or "")
        smtp.send_message(message)
