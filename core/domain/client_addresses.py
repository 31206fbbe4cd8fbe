"""R9 and the per-IP limits count per client address. Behind a trusted proxy that address is text the proxy wrote:
one client must not become many by writing the same address differently, adding a port, or taking the next
address of the IPv6 network every household and server is given (a /64)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

IPV6_NETWORK_BITS = 64
_BRACKETED = re.compile(r"^\[([^\]]+)\](?::\d{1,5})?$")  # [2001:db8::1] or [2001:db8::1]:443
_IPV4_WITH_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$")


@lru_cache(maxsize=4096)  # on every limited POST; a busy site sees the same few thousand addresses again and again
def counted_address(text: str | None) -> str | None:
    """The one spelling under which this client is counted (an IPv4 address, or an IPv6 /64 network), or None when
    the text is no address at all."""
    if not text:
        return None
    value = text.strip()
    bracketed = _BRACKETED.match(value)
    if bracketed:
        value = bracketed.group(1)
    else:
        with_port = _IPV4_WITH_PORT.match(value)
        if with_port:
            value = with_port.group(1)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_NETWORK_BITS), strict=False))
    return str(address)
