"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with a ``whsec_<base64>``
secret (the key is the base64-decoded part)."""

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    pass


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    return base64.b64decode(raw)


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(*, secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
    }


def verify(
    *,
    secret: str,
    msg_id: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` unless one of the space-separated ``v1,`` signatures matches and
    the timestamp is within the tolerance either way (replays and clock skew)."""
    if not (msg_id and timestamp and signature):
        raise SignatureError("Missing webhook-id, webhook-timestamp or webhook-signature.")
    try:
        moment = int(timestamp)
    except ValueError:
        raise SignatureError("Bad webhook-timestamp.") from None
    now = time.time() if now is None else now
    if abs(now - moment) > TOLERANCE_SECONDS:
        raise SignatureError("Timestamp outside the tolerance.")
    try:
        expected = sign(secret=secret, msg_id=msg_id, timestamp=moment, body=body).encode()
    except (ValueError, TypeError):
        raise SignatureError("No usable secret.") from None
    for candidate in signature.split(" "):
        # Constant-time: a comparison that stops at the first wrong byte leaks the signature.
        if hmac.compare_digest(candidate.strip().encode(), expected):
            return
    raise SignatureError("No matching signature.")
