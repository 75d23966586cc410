"""Flows: an admin's rule — on an event type, when every condition on the payload holds, send
the event to an endpoint or start a sync. Evaluated for every committed event; each evaluation
that matched (and every test) leaves a run row."""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

from django.db import transaction

from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed
from fieldops.events import CATALOGUE, Event
from integrations.models import Entity
from integrations.services.sync import sync_run_start
from integrations.webhooks.models import Flow, FlowAction, FlowRun

logger = logging.getLogger("integrations.webhooks.flows")

OPERATORS = ("eq", "ne", "in", "gt", "lt", "exists")
_MISSING = object()


def _field(payload: dict[str, Any], path: str) -> Any:
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def condition_holds(payload: dict[str, Any], condition: dict[str, Any]) -> bool:
    value = _field(payload, str(condition.get("field", "")))
    op, expected = condition.get("op", "eq"), condition.get("value")
    if op == "exists":
        return value is not _MISSING
    if value is _MISSING:
        return False
    try:
        if op == "eq":
            return value == expected
        if op == "ne":
            return value != expected
        if op == "in":
            return value in (expected or [])
        if op == "gt":
            return value > expected
        if op == "lt":
            return value < expected
    except TypeError:
        return False
    return False


def flow_matches(flow: Flow, event: Event) -> bool:
    if not fnmatch.fnmatchcase(event.type, flow.event_type):
        return False
    payload = event.payload()
    return all(condition_holds(payload, condition) for condition in flow.conditions)


def flow_validate(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not any(fnmatch.fnmatchcase(name, values.get("event_type", "")) for name in CATALOGUE):
        errors["event_type"] = "No event matches it."
    for condition in values.get("conditions", []):
        if not isinstance(condition, dict) or condition.get("op", "eq") not in OPERATORS:
            errors["conditions"] = f"Each condition is a field, an operator {OPERATORS}, a value."
        elif not str(condition.get("field", "")).strip():
            errors["conditions"] = "Each condition names a field such as data.priority."
    action = values.get("action")
    if action == FlowAction.SEND_TO_ENDPOINT and not values.get("endpoint"):
        errors["endpoint"] = "Choose the endpoint to send to."
    elif action == FlowAction.START_SYNC:
        if not values.get("connection"):
            errors["connection"] = "Choose the connection to sync."
        if values.get("entity") not in Entity.values:
            errors["entity"] = "Choose what to sync."
    elif action not in FlowAction.values:
        errors["action"] = "Choose an action."
    if errors:
        raise ValidationFailed(details=errors)


def flow_execute(flow: Flow, event: Event, *, test: bool = False) -> FlowRun:
    matched = flow_matches(flow, event)
    outcome, detail = "skipped", "Conditions did not hold."
    if matched:
        try:
            with transaction.atomic():
                outcome, detail = _act(flow, event)
        except Exception as failure:
            logger.exception("Flow %s failed on %s", flow.pk, event.id)
            outcome, detail = "failed", f"{type(failure).__name__}: {failure}"[:500]
    return FlowRun.objects.create(
        flow=flow,
        event_id=event.id,
        event_type=event.type,
        test=test,
        matched=matched,
        outcome=outcome,
        detail=detail,
    )


def _act(flow: Flow, event: Event) -> tuple[str, str]:
    from integrations.webhooks.services.delivery import deliveries_create

    if flow.action == FlowAction.SEND_TO_ENDPOINT:
        endpoint = flow.endpoint
        if endpoint is None or not endpoint.enabled:
            return "failed", "The endpoint is missing or disabled."
        # The flow's own copy of the event (its id suffixed) so it never clashes with a
        # subscription of the same endpoint.
        copy = Event(
            type=event.type,
            organization_id=event.organization_id,
            data=event.data,
            id=f"{event.id}_f{flow.pk}",
            timestamp=event.timestamp,
            connection_id=event.connection_id,
        )
        ids = deliveries_create(copy, endpoints=[endpoint])
        return "sent", f"{len(ids)} delivery queued to {endpoint.url}"
    run = sync_run_start(connection=flow.connection, entity=flow.entity)
    return "sync_started", f"Sync run {run.public_id} ({flow.entity})"


def on_event_flows(event: Event) -> None:
    flows = Flow.objects.filter(organization_id=event.organization_id, enabled=True).select_related(
        "endpoint", "connection"
    )
    for flow in flows:
        if fnmatch.fnmatchcase(event.type, flow.event_type):
            flow_execute(flow, event)


def flow_create(*, membership: Any, values: dict[str, Any]) -> Flow:
    from integrations.models import Connection
    from integrations.webhooks.services.endpoints import endpoint_get_for_user

    require(membership, "webhooks.admin")
    values = {**values, "name": str(values.get("name", "")).strip()}
    endpoint = connection = None
    if values.get("endpoint_id"):
        endpoint = endpoint_get_for_user(membership, values["endpoint_id"])
    if values.get("connection_id"):
        connection = Connection.objects.filter(
            organization_id=membership.organization_id, public_id=values["connection_id"]
        ).first()
    conditions = [dict(condition) for condition in values.get("conditions", [])]
    flow_validate(
        {**values, "conditions": conditions, "endpoint": endpoint, "connection": connection}
    )
    return Flow.objects.create(
        organization_id=membership.organization_id,
        name=values["name"],
        event_type=values["event_type"],
        conditions=conditions,
        action=values["action"],
        endpoint=endpoint,
        connection=connection,
        entity=values.get("entity", ""),
        enabled=values.get("enabled", True),
    )


def flow_test(*, flow: Flow, data: dict[str, Any], connection_id: int | None = None) -> FlowRun:
    """The test button: evaluate the flow on a sample event without acting; logged as a test."""
    event_type = (
        flow.event_type if "*" not in flow.event_type else flow.event_type.replace("*", "x")
    )
    event = Event(
        type=event_type,
        organization_id=flow.organization_id,
        data=data,
        connection_id=connection_id,
    )
    matched = flow_matches(flow, event)
    would = {FlowAction.SEND_TO_ENDPOINT: "would_send", FlowAction.START_SYNC: "would_sync"}
    return FlowRun.objects.create(
        flow=flow,
        event_id=event.id,
        event_type=event.type,
        test=True,
        matched=matched,
        outcome=would[flow.action] if matched else "skipped",
        detail="Test run: nothing was sent or started.",
    )
