"""Explicit API shapes: a secret appears only in ``EndpointCreated``, once."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointIn(Schema):
    url: str
    event_types: list[str] = []  # none: the service's "Choose at least one event type."
    description: str = ""
    connection_id: UUID | None = None


class EndpointPatch(Schema):
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    connection_id: UUID | None = None
    enabled: bool | None = None


class EndpointOut(Schema):
    id: UUID
    url: str
    description: str
    enabled: bool
    event_types: list[str]
    connection_id: UUID | None
    disabled_reason: str
    disabled_at: datetime | None
    throttled_until: datetime | None
    last_success_at: datetime | None
    created_at: datetime

    @staticmethod
    def from_model(endpoint: WebhookEndpoint) -> EndpointOut:
        return EndpointOut(
            id=endpoint.public_id,
            url=endpoint.url,
            description=endpoint.description,
            enabled=endpoint.enabled,
            event_types=endpoint.event_types,
            connection_id=endpoint.connection.public_id if endpoint.connection_id else None,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            throttled_until=endpoint.throttled_until,
            last_success_at=endpoint.last_success_at,
            created_at=endpoint.created_at,
        )


class EndpointCreated(EndpointOut):
    # Shown this once; only its encrypted form is stored.
    secret: str


class EndpointPage(Schema):
    items: list[EndpointOut]
    next_cursor: str | None


class DeliveryOut(Schema):
    id: UUID
    endpoint_id: UUID
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str
    response_excerpt: str
    delivered_at: datetime | None
    created_at: datetime
    log: list[dict[str, Any]]

    @staticmethod
    def from_model(delivery: WebhookDelivery) -> DeliveryOut:
        return DeliveryOut(
            id=delivery.public_id,
            endpoint_id=delivery.endpoint.public_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_latency_ms=delivery.last_latency_ms,
            last_error=delivery.last_error,
            response_excerpt=delivery.response_excerpt,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
            log=delivery.log,
        )


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class ConditionIn(Schema):
    field: str
    op: str = "eq"
    value: Any = None


class FlowIn(Schema):
    name: str
    event_type: str
    conditions: list[ConditionIn] = []
    action: str
    endpoint_id: UUID | None = None
    connection_id: UUID | None = None
    entity: str = ""
    enabled: bool = True


class FlowOut(Schema):
    id: UUID
    name: str
    event_type: str
    conditions: list[dict[str, Any]]
    action: str
    endpoint_id: UUID | None
    connection_id: UUID | None
    entity: str
    enabled: bool


class FlowTestIn(Schema):
    data: dict[str, Any] = {}
    connection_id: UUID | None = None


class FlowRunOut(Schema):
    event_id: str
    event_type: str
    test: bool
    matched: bool
    outcome: str
    detail: str
    created_at: datetime


def condition_lines(value: Any) -> Any:
    """The flow form's conditions, one a line: ``data.priority == p1``, ``data.status != closed``,
    ``>``, ``<``, or a bare field for "exists" (a form sends the text as a one-item list)."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        value = "\n".join(value)
    if not isinstance(value, str):
        return value
    conditions = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        for token, op in (("==", "eq"), ("!=", "ne"), (">", "gt"), ("<", "lt")):
            if token in line:
                field, _, typed = line.partition(token)
                conditions.append(
                    {"field": field.strip(), "op": op, "value": typed.strip().strip('"')}
                )
                break
        else:
            conditions.append({"field": line, "op": "exists", "value": None})
    return conditions


def _json_object(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise PydanticCustomError("json_object", "The sample data must be a JSON object.")
    return parsed


class FlowFormIn(FlowIn):
    """The flows page's form: FlowIn with the conditions typed one a line."""

    conditions: Annotated[list[ConditionIn], BeforeValidator(condition_lines)] = []


class FlowTestFormIn(Schema):
    """The flows page's test button: the flow, and the sample event data typed as JSON."""

    test: UUID
    sample: Annotated[dict[str, Any], BeforeValidator(_json_object)] = {}
