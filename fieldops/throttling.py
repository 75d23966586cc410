"""Per-actor and per-address API allowances (RATE_LIMIT_EXCEEDED with Retry-After)."""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from fieldops.errors import RateLimitExceeded


class ActorRateThrottle(SimpleRateThrottle):
    """Authenticated callers: one allowance per token, or per membership for the browser."""

    scope = "actor"

    def __init__(self) -> None:
        super().__init__("600/m")  # replaced per request from settings

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = settings.API_RATE_PER_MINUTE, 60
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        membership = getattr(request, "auth", None)
        if membership is None:
            return None
        token = getattr(request, "api_token_id", None)
        ident = f"t{token}" if token else f"m{membership.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(SimpleRateThrottle):
    """Unauthenticated callers, per client address."""

    scope = "anon"

    def __init__(self) -> None:
        super().__init__("60/m")  # replaced per request from settings

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = settings.API_ANON_RATE_PER_MINUTE, 60
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if getattr(request, "auth", None) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def guard_failed_authentication(request: HttpRequest) -> None:
    """Count bad tokens per client address; past the anonymous allowance, answer 429 so token
    guessing gets slow. Raises RateLimitExceeded once the allowance is spent."""
    throttle = AddressRateThrottle()
    throttle.scope = "badauth"
    request_auth, request.auth = getattr(request, "auth", None), None
    try:
        if not throttle.allow_request(request):
            raise RateLimitExceeded(
                "Too many failed sign-ins from this address.",
                retry_after=round(throttle.wait() or 60),
            )
    finally:
        request.auth = request_auth


def spend_allowance(key: str, *, limit: int, period_seconds: int) -> None:
    """Count one use of ``key`` in a fixed window; RateLimitExceeded once ``limit`` is spent.
    ``incr`` is atomic on Redis, so concurrent requests cannot overspend."""
    window = int(time.time() // period_seconds)
    cache_key = f"allowance:{key}:{window}"
    cache.add(cache_key, 0, timeout=period_seconds + 5)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period_seconds + 5)
        used = 1
    if used > limit:
        retry_after = int(period_seconds - time.time() % period_seconds) + 1
        raise RateLimitExceeded(retry_after=retry_after)


def failures_blocked(key: str, *, limit: int) -> bool:
    """Whether ``key`` already failed ``limit`` times in its current window."""
    return int(cache.get(f"failures:{key}", 0)) >= limit


def failure_record(key: str, *, period_seconds: int) -> None:
    cache_key = f"failures:{key}"
    if cache.add(cache_key, 1, timeout=period_seconds):
        return
    try:
        cache.incr(cache_key)
    except ValueError:  # expired in between
        cache.set(cache_key, 1, timeout=period_seconds)


def failures_forget(key: str) -> None:
    cache.delete(f"failures:{key}")
