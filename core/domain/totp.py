"""R8: TOTP with SHA-1, 6 digits, 30 s, ±1 step, and no code accepted twice."""

from __future__ import annotations

import secrets
from base64 import b32encode
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits


def new_secret() -> str:
    return b32encode(secrets.token_bytes(SECRET_BYTES)).decode()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)


def accepted_step(secret: str, otp: str, now: datetime, last_step: int) -> int | None:
    """The time step the OTP belongs to, if it is valid now (±1 step) and newer than the last one accepted."""
    otp = otp.strip().replace(" ", "")
    if len(otp) != DIGITS or not otp.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), otp):
            return step
    return None
