"""Outbound endpoints and their deliveries, inbound ERP events, flows and alerts.

A delivery is one event for one endpoint (unique on both), so a fan-out that runs twice sends
nothing twice; an inbound event is unique on connection + the sender's event id, so a duplicate is
stored and processed once.
"""

import uuid

from django.db import models
from django.db.models import Q

from fieldops.models import OrganizationScopedModel, TimeStampedModel


class WebhookEndpoint(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.URLField(max_length=1000)
    # Fernet token of the ``whsec_…`` secret (integrations.crypto); shown once at creation.
    secret_encrypted = models.TextField()
    description = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    # Event types (globs allowed: "workorder.*", "*").
    event_types = models.JSONField(default=list)
    # Integration events (those with a connection) only from this connection, when set.
    connection = models.ForeignKey(
        "integrations.Connection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # 429/Retry-After: nothing is sent to this endpoint before this time.
    throttled_until = models.DateTimeField(null=True, blank=True)
    # First failure since the last success; days of failure disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "enabled"], name="whendpoint_org_enabled")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=60)
    # When the event was published (its ``timestamp``), for the event-to-receipt delay.
    event_at = models.DateTimeField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # One entry per attempt: at, status code, latency, error (the delivery log).
    log = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="whdelivery_unique"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="whdelivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="whdelivery_due"),
            models.Index(fields=["organization", "-created_at"], name="whdelivery_recent"),
            models.Index(fields=["endpoint", "-created_at"], name="whdelivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.endpoint_id} ({self.status})"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    STALE = "stale", "Stale (older than stored)"
    FAILED = "failed", "Failed"


class InboundEvent(TimeStampedModel):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.CASCADE, related_name="+"
    )
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100, blank=True)
    # The body exactly as received (what was signed), kept for audit and reprocessing.
    body = models.TextField()
    entity = models.CharField(max_length=30, blank=True)
    remote_id = models.CharField(max_length=200, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "event_id"], name="whinbound_unique"),
            models.CheckConstraint(
                condition=Q(status__in=InboundStatus.values), name="whinbound_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="whinbound_recent"),
            models.Index(fields=["connection", "entity", "remote_id"], name="whinbound_object"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}:{self.event_id} ({self.status})"


class AlertKind(models.TextChoices):
    ENDPOINT_DISABLED = "endpoint_disabled", "Endpoint disabled"
    INBOUND_FAILED = "inbound_failed", "Inbound event failed"
    FLOW_FAILED = "flow_failed", "Flow failed"
    SYNC_GAVE_UP = "sync_gave_up", "Sync run gave up"
    SYNC_MALFORMED = "sync_malformed", "Sync read a malformed page"


class WebhookAlert(OrganizationScopedModel):
    """What the organisation's admins see on the monitoring page until they dismiss it."""

    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    message = models.CharField(max_length=500)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        "integrations.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"], name="whalert_recent")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class FlowAction(models.TextChoices):
    SEND_TO_ENDPOINT = "send_to_endpoint", "Send to endpoint"
    START_SYNC = "start_sync", "Start a sync"


class Flow(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    event_type = models.CharField(max_length=60)
    # [{"field": "data.priority", "op": "eq", "value": "p1"}, ...], all must hold.
    conditions = models.JSONField(default=list, blank=True)
    action = models.CharField(max_length=30, choices=FlowAction.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        "integrations.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    entity = models.CharField(max_length=30, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=FlowAction.values), name="flow_action_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "event_type"], name="flow_org_type")]

    def __str__(self) -> str:
        return self.name


class FlowRun(TimeStampedModel):
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="runs")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=60)
    test = models.BooleanField(default=False)
    matched = models.BooleanField()
    outcome = models.CharField(max_length=30)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["flow", "-created_at"], name="flowrun_recent")]

    def __str__(self) -> str:
        return f"{self.flow_id} {self.event_id}: {self.outcome}"
