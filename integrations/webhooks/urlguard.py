"""Refuse endpoint URLs that resolve to private, link-local, loopback or reserved addresses
(server-side request forgery into the internal network). ``WEBHOOKS_ALLOW_LOOPBACK`` lets loopback
through for development and tests."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from fieldops.errors import ValidationFailed


def url_check(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        message = "The URL must be http(s) with a host."
        raise ValidationFailed(message, details={"url": message})
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        message = "The host does not resolve."
        raise ValidationFailed(message, details={"url": message}) from None
    allow_loopback = getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False)
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            message = "The URL resolves to a private, link-local or loopback address."
            raise ValidationFailed(message, details={"url": message})
