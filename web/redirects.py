"""Where a `next=` parameter may send someone after login: a path on this site, inside the expected area."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, area: str = "/") -> str | None:
    """The target when it is a plain path under `area`; None for another site (`//host`, `\\`, a scheme) and for
    control characters (CR/LF would split the Location header; the login step would be spent on an error)."""
    if not target or not target.startswith(area) or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
