"""The HTTP client every connector talks through: limiter, circuit breaker, retries, errors.

A response is classified once here: 401 → AuthFailed; 429 → RateLimited and 503 → Unavailable,
both honouring ``Retry-After`` (seconds or an HTTP date); other 5xx → Unavailable; timeouts →
Timeout. Retryable failures are retried with exponential backoff and full jitter, capped, as long
as the wait fits ``max_inline_wait`` (a time-out only ``timeout_attempts`` times in all: each
try costs the whole time-out); beyond that the error is raised with its ``retry_after`` so
a Celery task can come back later instead of holding a worker.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from integrations.connectors.errors import (
    AuthFailed,
    CircuitOpen,
    ConnectorError,
    MalformedResponse,
    RateLimited,
    RemoteError,
    RemoteNotFound,
    Timeout,
    Unavailable,
)

ErrorParser = Callable[[httpx.Response], str]


class Guard(Protocol):
    """Shared limits around each call (see integrations.ratelimit.ConnectionGuard). An
    auxiliary call (a token, a CSRF token, a login) waits for the same limits but is no probe
    of a half-open breaker, and its outcome is never recorded."""

    def slot(self, *, auxiliary: bool = False) -> contextlib.AbstractContextManager[None]: ...
    def record_success(self) -> None: ...
    def record_failure(self, error: ConnectorError) -> None: ...


class NullGuard:
    @contextlib.contextmanager
    def slot(self, *, auxiliary: bool = False) -> Iterator[None]:
        yield

    def record_success(self) -> None:
        pass

    def record_failure(self, error: ConnectorError) -> None:
        pass


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (AWS architecture blog)."""
    return random.uniform(0, min(cap, base * (2**attempt)))


def spread(seconds: float) -> float:
    """A wait that must not end early (a Retry-After, a breaker's cooldown), up to a fifth later
    at random, so the callers told the same moment do not all come back at it."""
    return seconds * random.uniform(1.0, 1.2)


def default_error_text(response: httpx.Response) -> str:
    return response.text[:300]


class HttpClient:
    def __init__(
        self,
        *,
        base_url: str,
        guard: Guard | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_inline_wait: float = 30.0,
        timeout_attempts: int = 2,
        sleep: Callable[[float], None] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", **(headers or {})},
            follow_redirects=False,
        )
        self.guard = guard or NullGuard()
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_inline_wait = max_inline_wait
        self.timeout_attempts = timeout_attempts
        self.sleep = sleep or time.sleep

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        error_text: ErrorParser = default_error_text,
        ok_statuses: tuple[int, ...] = (),
        auxiliary: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One call, retried inline while that is cheap. ``auxiliary``: a call that only
        prepares data calls (a token request, a CSRF fetch, a login): the circuit breaker
        counts data calls only, so its success does not close the breaker and its failure does
        not open it."""
        attempt = timeouts = 0
        while True:
            try:
                response = self._send_once(method, url, auxiliary=auxiliary, **kwargs)
                self._raise_for_status(response, error_text, ok_statuses)
            except ConnectorError as error:
                if not auxiliary:
                    self.guard.record_failure(error)
                attempt += 1
                # An open breaker is waited out by the caller's schedule (a task's countdown,
                # the outbox's next attempt), never by a worker sleeping here.
                if not error.retryable or isinstance(error, CircuitOpen):
                    raise
                if attempt >= self.max_attempts:
                    raise
                # A call slower than the time-out is retried once: each try costs the whole
                # time-out, and an ERP that slow is rarely faster a second later.
                timeouts += isinstance(error, Timeout)
                if timeouts >= self.timeout_attempts:
                    raise
                wait = error.retry_after
                if wait is None:
                    wait = backoff(attempt, base=self.backoff_base, cap=self.backoff_cap)
                if wait > self.max_inline_wait:
                    raise
                self.sleep(wait)
                continue
            if not auxiliary:
                self.guard.record_success()
            return response

    def _send_once(
        self, method: str, url: str, *, auxiliary: bool = False, **kwargs: Any
    ) -> httpx.Response:
        with self.guard.slot(auxiliary=auxiliary):
            try:
                return self.client.request(method, url, **kwargs)
            except httpx.TimeoutException:
                raise Timeout(f"No answer within {self.client.timeout.read}s.") from None
            except httpx.TransportError as exc:
                raise Unavailable(f"Could not reach the server ({type(exc).__name__}).") from None

    @staticmethod
    def _raise_for_status(
        response: httpx.Response, error_text: ErrorParser, ok_statuses: tuple[int, ...]
    ) -> None:
        status = response.status_code
        if status < 400 or status in ok_statuses:
            return
        text = error_text(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 401:
            raise AuthFailed(f"The ERP rejected the credentials: {text}", status=status)
        if status == 429:
            raise RateLimited(
                f"Rate limited by the ERP: {text}", status=status, retry_after=retry_after
            )
        if status == 404:
            raise RemoteNotFound(f"Not found: {text}", status=status)
        if status >= 500:
            raise Unavailable(
                f"ERP error {status}: {text}",
                status=status,
                retry_after=retry_after if status == 503 else None,
            )
        raise RemoteError(f"ERP refused the request ({status}): {text}", status=status)


def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedResponse(
            f"Expected JSON, got {response.headers.get('content-type', 'no content type')}: "
            f"{response.text[:120]!r}"
        ) from None


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise MalformedResponse(f"Unexpected response shape: {what}.")
