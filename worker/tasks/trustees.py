"""Tasks: trustees and powers of attorney (R13, R14)."""

from __future__ import annotations

from worker.app import app  # noqa: F401
