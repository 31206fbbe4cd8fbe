"""Tasks: the staff desk."""

from __future__ import annotations

from worker.app import app  # noqa: F401
