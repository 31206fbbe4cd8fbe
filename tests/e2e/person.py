"""What a person reads and types during a walk: the letter's text from its PDF, the code and the link printed on
it, the authenticator key from the QR code on the screen (as a phone app scans it), and the e-mails received."""

from __future__ import annotations

import io
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pyotp
import zxingcpp
from PIL import Image
from playwright.sync_api import Page
from pypdf import PdfReader

CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
LINK = re.compile(r"https?://[^\s]+")


def letter_text(pdf_path: str | Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(pdf_path)).pages)


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, f"no code printed in the letter:\n{text}"
    return found.group(1)


def link_in(text: str) -> str:
    found = LINK.search(text)
    assert found, f"no link printed in:\n{text}"
    return found.group(0).rstrip(".,)")


def totp_from_qr(page: Page, selector: str = ".qr img") -> pyotp.TOTP:
    """Scan the QR code as an authenticator app does: from the pixels on the screen, not from the page's text."""
    shot = page.locator(selector).screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert found, "the QR code on the page cannot be scanned"
    uri = found[0].text
    assert uri.startswith("otpauth://totp/"), uri
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    return totp


def mails_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    """The e-mails written to the mail folder for one address, oldest first."""
    found = []
    for path in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if address.lower() in str(message["To"]).lower():
            found.append(message)
    return found


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def staff_logs_in(page: Page, base: str, username: str, password: str, secret: str, lang: str = "en") -> None:
    """A member of the fund's staff signs in at the desk: password, then the authenticator's code."""
    page.goto(f"{base}/staff/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.fill("#otp", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/$"))


def sms_to(mobile_e164: str) -> str | None:
    """The code in the newest text message the gateway delivered to this number (the file gateway's folder)."""
    from sqlalchemy import select

    from core import db, sms
    from core.models import OutboxMessage

    with db.unit_of_work() as s:
        keys = list(s.scalars(select(OutboxMessage.key).where(OutboxMessage.task == "sms.send")
                              .order_by(OutboxMessage.id.desc())))
    for key in keys:
        path = sms.file_for(key)
        if path.exists() and path.read_text(encoding="utf-8").startswith(f"To: {mobile_e164}\n"):
            found = re.search(r"\b(\d{6})\b", path.read_text(encoding="utf-8"))
            return found.group(1) if found else None
    return None
