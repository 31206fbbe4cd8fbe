"""What an authenticator enrolment page shows: the QR code and the key in groups of four, made in one place."""

from __future__ import annotations

import segno


def authenticator_display(uri: str, secret: str) -> dict[str, str]:
    """The page's `qr` (an SVG data URI, allowed by the CSP) and `grouped_secret` for typing the key by hand."""
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": qr, "grouped_secret": grouped}
