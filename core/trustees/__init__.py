"""Trustees, their access to members and the powers of attorney behind it (R13, R14, R15, R19)."""
