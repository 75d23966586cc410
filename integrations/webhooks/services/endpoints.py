"""Endpoints an admin registers; the secret is returned once, at creation."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import NotFound, ValidationFailed
from fieldops.events import CATALOGUE
from integrations.crypto import fernet
from integrations.models import Connection
from integrations.webhooks.models import WebhookAlert, WebhookEndpoint
from integrations.webhooks.signing import secret_generate
from integrations.webhooks.urlguard import url_check


def endpoint_get_for_user(membership: Membership, public_id: Any) -> WebhookEndpoint:
    require(membership, "webhooks.admin")
    try:
        return WebhookEndpoint.objects.get(
            organization_id=membership.organization_id, public_id=public_id
        )
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such webhook endpoint.") from None


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return fernet().decrypt(endpoint.secret_encrypted.encode()).decode()


def _check_event_types(event_types: list[str]) -> None:
    if not event_types:
        raise ValidationFailed(details={"event_types": "Choose at least one event type."})
    for pattern in event_types:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in CATALOGUE):
            raise ValidationFailed(details={"event_types": f"No event matches {pattern!r}."})


def _connection(membership: Membership, public_id: Any) -> Connection | None:
    if not public_id:
        return None
    try:
        return Connection.objects.get(
            organization_id=membership.organization_id, public_id=public_id
        )
    except (Connection.DoesNotExist, ValueError):
        raise ValidationFailed(details={"connection_id": "No such connection."}) from None


@dataclass
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def endpoint_create(
    *,
    membership: Membership,
    url: str,
    event_types: list[str],
    description: str = "",
    connection_id: Any = None,
) -> CreatedEndpoint:
    require(membership, "webhooks.admin")
    url, description = url.strip(), description.strip()  # as pasted, on every door
    url_check(url)
    _check_event_types(event_types)
    connection = _connection(membership, connection_id)
    secret = secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        organization_id=membership.organization_id,
        url=url,
        secret_encrypted=fernet().encrypt(secret.encode()).decode(),
        description=description,
        event_types=event_types,
        connection=connection,
    )
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def endpoint_update(
    *, membership: Membership, endpoint: WebhookEndpoint, values: dict[str, Any]
) -> WebhookEndpoint:
    require(membership, "webhooks.admin")
    fields: list[str] = []
    if "url" in values:
        url_check(values["url"])
        endpoint.url = values["url"]
        fields.append("url")
    if "event_types" in values:
        _check_event_types(values["event_types"])
        endpoint.event_types = values["event_types"]
        fields.append("event_types")
    if "description" in values:
        endpoint.description = values["description"]
        fields.append("description")
    if "connection_id" in values:
        endpoint.connection = _connection(membership, values["connection_id"])
        fields.append("connection")
    if "enabled" in values:
        endpoint.enabled = bool(values["enabled"])
        if endpoint.enabled:
            # Re-enabled by an admin: the failure clock starts again.
            endpoint.disabled_reason, endpoint.disabled_at = "", None
            endpoint.failing_since = None
            fields += ["disabled_reason", "disabled_at", "failing_since"]
        fields.append("enabled")
    if fields:
        endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Disable an endpoint (410 Gone, days of failure) and alert its admins; once."""
    from fieldops.events import publish_event

    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).update(
            enabled=False, disabled_reason=reason[:300], disabled_at=timezone.now()
        )
        if not changed:
            return False
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        WebhookAlert.objects.create(
            organization_id=endpoint.organization_id,
            kind="endpoint_disabled",
            message=f"Webhook endpoint {endpoint.url} disabled: {reason}"[:500],
            endpoint=endpoint,
        )
        publish_event(
            "system.error",
            organization_id=endpoint.organization_id,
            data={
                "code": "webhook_endpoint_disabled",
                "message": reason,
                "endpoint_id": str(endpoint.public_id),
                "url": endpoint.url,
            },
        )
    return True
