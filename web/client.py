"""The client's address as R9 and the per-IP limits count it (core.domain.client_addresses)."""

from __future__ import annotations

from flask import request

from core.domain.client_addresses import counted_address

# werkzeug's ProxyFix keeps the socket's own address here when it takes the client's from X-Forwarded-For
_BEFORE_PROXY_FIX = "werkzeug.proxy_fix.orig"


def address() -> str:
    """The counted address; when a trusted proxy wrote something that is no address, the proxy's own (so such
    requests share one count instead of each getting a fresh one); "" when there is none at all."""
    counted = counted_address(request.remote_addr)
    if counted is None:
        socket_address = request.environ.get(_BEFORE_PROXY_FIX, {}).get("REMOTE_ADDR")
        counted = counted_address(socket_address)
    return counted or ""
