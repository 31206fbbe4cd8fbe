"""Secrets at rest: argon2 for passwords, Fernet for TOTP secrets (R8)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet

from core import config

# argon2id with one of the equal-strength profiles of the OWASP Password Storage Cheat Sheet: 19 MiB, 2 passes, one
# lane. argon2-cffi's default (64 MiB, 3 passes, 4 lanes) cost some 60 ms of CPU per login, so two cores managed
# about eight logins a second, far below January's peak; this profile costs a fraction of that and still makes
# each offline guess cost 19 MiB of memory. Hashes of an older profile are rewritten at the next good password.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def rehashed(stored: str, password: str) -> str | None:
    """The password hashed with today's profile when `stored` (already checked against it) used another one."""
    try:
        return _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
    except InvalidHashError:
        return None


def password_matches(stored: str, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _fernet() -> Fernet:
    return Fernet(config.get().totp_encryption_key.encode())


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
