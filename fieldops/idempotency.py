"""Retried writes answer what the first try answered (`Idempotency-Key`)."""

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja.responses import Status

from fieldops.accounts.models import IdempotencyKey, Membership
from fieldops.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def idempotent(request: HttpRequest, run: Callable[[], tuple[int, dict[str, Any]]]) -> Status:
    """Run ``run`` once per (caller, key): a retry with the same key and body gets the stored
    answer; the same key with another body is refused. Without the header, just run."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return Status(*run())
    if len(key) > 200:
        raise ValidationFailed(details={HEADER: "At most 200 characters."})
    membership: Membership = request.auth
    fingerprint = _fingerprint(request)
    stored = IdempotencyKey.objects.filter(membership=membership, key=key).first()
    if stored is None:
        try:
            with transaction.atomic():
                status, body = run()
                IdempotencyKey.objects.create(
                    membership=membership,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=status,
                    response=body,
                )
                return Status(status, body)
        except IntegrityError:
            # A concurrent request with the same key won the race; answer what it answered.
            stored = IdempotencyKey.objects.filter(membership=membership, key=key).first()
            if stored is None:
                raise
    if stored.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different request.",
            details={HEADER: key},
        )
    return Status(stored.status_code, stored.response)
