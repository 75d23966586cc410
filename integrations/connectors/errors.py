"""What can go wrong talking to an ERP, each with a stable code for SyncRun errors.

``retryable`` errors (rate limits, 5xx, timeouts, an open circuit breaker) are retried with
backoff (a breaker: when it half-opens) and, when they persist, fail the run without changing the
connection's credentials state; ``AuthFailed`` moves the
connection to auth_required; ``MalformedResponse`` and ``RemoteError`` are not retried.
"""


class ConnectorError(Exception):
    code = "CONNECTOR_ERROR"
    retryable = False

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        self.message = message
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class AuthFailed(ConnectorError):
    code = "AUTH_FAILED"


class RateLimited(ConnectorError):
    code = "RATE_LIMITED"
    retryable = True


class Unavailable(ConnectorError):
    code = "UPSTREAM_UNAVAILABLE"
    retryable = True


class Timeout(ConnectorError):
    code = "TIMEOUT"
    retryable = True


class MalformedResponse(ConnectorError):
    code = "MALFORMED_RESPONSE"


class RemoteError(ConnectorError):
    code = "REMOTE_ERROR"


class RemoteNotFound(ConnectorError):
    code = "REMOTE_NOT_FOUND"


class CircuitOpen(ConnectorError):
    """Calls are paused; ``retry_after`` is when the breaker lets one through again. A sync run or
    an outbox message waits for that instead of failing for good."""

    code = "CIRCUIT_OPEN"
    retryable = True


class Unsupported(ConnectorError):
    code = "UNSUPPORTED"
