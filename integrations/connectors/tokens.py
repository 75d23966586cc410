"""The bearer token of an OAuth 2 client-credentials connector (NetSuite, Business Central).

A token is fetched on first use and kept until a minute before it expires. A data call refused
with 401 while the cached token had not expired (the ERP restarted, or rotated its signing
keys) gets one fresh token and one retry; only a refusal of that retry, or of the token request
itself, is ``AuthFailed`` for the caller (and the connection goes to ``auth_required``). A call
refused with a token fetched for it is not retried: a new token would be refused the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from integrations.connectors.errors import AuthFailed

T = TypeVar("T")
EXPIRY_MARGIN = 60.0


class CachedToken:
    def __init__(
        self,
        fetch: Callable[[], tuple[str, float]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``fetch`` requests a new token and returns it with its lifetime in seconds."""
        self.fetch = fetch
        self.clock = clock
        self.value: str | None = None
        self.expires = 0.0
        self.fetched = 0  # how many tokens this connector asked for

    def _renew(self) -> str:
        self.value = None
        token, lifetime = self.fetch()
        self.fetched += 1
        self.value, self.expires = token, self.clock() + lifetime - EXPIRY_MARGIN
        return token

    def current(self) -> str:
        if self.value is None or self.clock() > self.expires:
            return self._renew()
        return self.value

    def send(self, call: Callable[[str], T]) -> T:
        """``call(token)``, with one fresh token and one retry if a cached token is refused."""
        cached = self.value is not None and self.clock() <= self.expires
        token = self.current()
        try:
            return call(token)
        except AuthFailed:
            if not cached:
                raise
        return call(self._renew())
