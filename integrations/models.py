"""Connections to ERP systems, what was synced from them and how far each sync got.

A remote record is tied to FieldOps by an ``ExternalReference`` (connection + entity + remote id,
unique), which also carries the payload hash used for change detection and the synced copy: the
unified record and the raw remote one it came from. A ``SyncCheckpoint`` per connection and
entity holds the watermark of the last completed run and the page cursor of the run in progress,
saved after every page so an interrupted run resumes where it stopped.
"""

import uuid

from django.db import models
from django.db.models import Q

from fieldops.models import OrganizationScopedModel, TimeStampedModel


class System(models.TextChoices):
    SAP_S4HANA = "sap_s4hana", "SAP S/4HANA (OData v2)"
    NETSUITE = "netsuite", "Oracle NetSuite (REST)"
    BUSINESS_CENTRAL = "business_central", "Dynamics 365 Business Central (API v2.0)"
    MAXIMO = "maximo", "IBM Maximo (OSLC)"
    TRYTON = "tryton", "Tryton (JSON-RPC)"


class Entity(models.TextChoices):
    WORK_ORDER = "work_orders", "Work orders"
    ASSET = "assets", "Assets"
    PART = "parts", "Parts"
    PURCHASE_ORDER = "purchase_orders", "Purchase orders"
    VENDOR = "vendors", "Vendors"
    EMPLOYEE = "employees", "Employees / technicians"
    TIMESHEET = "timesheets", "Timesheet / labour entries"
    LOCATION = "locations", "Locations"


class ConnectionStatus(models.TextChoices):
    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    AUTH_REQUIRED = "auth_required", "Authentication required"
    ERROR = "error", "Error"


class Connection(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    system = models.CharField(max_length=30, choices=System.choices)
    name = models.CharField(max_length=120)
    base_url = models.URLField(max_length=500)
    # Fernet token of the JSON credentials (integrations.crypto); never returned whole or logged.
    credentials_encrypted = models.TextField(blank=True, default="")
    # Non-secret options per system: company id, database name, page size, timeout ...
    settings = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.OFFLINE
    )
    status_reason = models.CharField(max_length=500, blank=True)
    status_since = models.DateTimeField(null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    max_concurrency = models.PositiveSmallIntegerField(default=4)
    events = models.JSONField(default=list, blank=True)
    sync_entities = models.JSONField(default=list, blank=True)
    poll_interval_minutes = models.PositiveIntegerField(default=15)
    # Circuit breaker: consecutive failed calls, and until when calls are paused.
    consecutive_failures = models.PositiveIntegerField(default=0)
    circuit_open_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="connection_name_unique"),
            models.CheckConstraint(
                condition=Q(system__in=System.values), name="connection_system_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConnectionStatus.values), name="connection_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1) & Q(max_concurrency__gte=1),
                name="connection_limits_positive",
            ),
        ]
        indexes = [models.Index(fields=["organization", "name"], name="connection_org_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.system})"


# The synced copy on an ExternalReference: the large columns that the sync's own reads of
# references leave out.
SYNCED_COPY_FIELDS = ("unified", "raw")


class ExternalReference(TimeStampedModel):
    """One remote record: system + remote id ↔ local row (none while it lives only in the synced
    copy), its payload hash, and the synced copy itself (the latest unified record and the raw
    remote record it came from, kept for audit).

    A sync writes one of these for every new remote record, so it is one row, not a reference
    plus a cached record, and it carries only the indexes its reads use: by connection + entity
    (+ remote id, + change time for the cache's list), by local row (only rows that have one).
    Nothing looks it up by organisation (only deleting a whole organisation, a rare admin act,
    scans it), by creation time or by public id (derived from connection, entity and remote id,
    so unique with them), and the seen-run mark is read only once a full run completes, through
    the connection's rows. Of its foreign keys only the connection is checked by the database:
    the organisation is the connection's, and the seen run is a mark compared with the current
    run, which a deleted run leaves harmlessly behind. Each check or index costs every one of
    those writes (the figures are in docs/integrations-sync-and-write-back.md)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # in extref_list
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Led by extref_remote_unique and extref_list.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="references", db_index=False
    )
    system = models.CharField(max_length=30, choices=System.choices)
    entity = models.CharField(max_length=30, choices=Entity.choices)
    remote_id = models.CharField(max_length=200)
    # uuid5 of the connection's public id, entity and remote id (sync_writes.unified_id).
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # The FieldOps row this record became ("assets.asset", 42); blank while it lives only in the
    # synced copy.
    local_model = models.CharField(max_length=60, blank=True)
    local_id = models.BigIntegerField(null=True, blank=True)
    payload_hash = models.CharField(max_length=64)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Stamped only during full runs, so deletions can be inferred from a run that completed.
    last_seen_run = models.ForeignKey(
        "SyncRun",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The synced copy.
    unified = models.JSONField(default=dict)
    raw = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "remote_id"], name="extref_remote_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["local_model", "local_id"],
                name="extref_local",
                condition=Q(local_id__isnull=False),
            ),
            models.Index(fields=["connection", "entity", "updated_at", "id"], name="extref_list"),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.entity}:{self.remote_id}"


class SyncRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    # Read to the end, but some records were set aside (mapping or validation): see ``errors``.
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"


ACTIVE_RUN_STATUSES = (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING)
FINISHED_RUN_STATUSES = (SyncRunStatus.COMPLETED, SyncRunStatus.COMPLETED_WITH_ERRORS)


class SyncRun(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    entity = models.CharField(max_length=30, choices=Entity.choices)
    full = models.BooleanField(default=False)
    status = models.CharField(
        max_length=30, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED
    )
    # The remote modification time this run reads from (watermark minus look-back), fixed at
    # start so a resumed run asks the same question.
    since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    errors = models.JSONField(default=list, blank=True)
    # What the run did not do that the caller might assume it did, e.g. a first sync limited by
    # the connection's ``first_sync_days``: [{"code", "message"}]. Not errors: the run completed.
    warnings = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            # One run at a time per connection and entity: a second start joins the first.
            models.UniqueConstraint(
                fields=["connection", "entity"],
                condition=Q(status__in=["queued", "running"]),
                name="syncrun_one_active",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SyncRunStatus.values), name="syncrun_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["connection", "-created_at"], name="syncrun_recent")]

    def __str__(self) -> str:
        return f"sync {self.entity} #{self.pk} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SyncCheckpoint(TimeStampedModel):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="checkpoints")
    entity = models.CharField(max_length=30, choices=Entity.choices)
    # Highest remote modification time of the last completed run (the next run's watermark).
    watermark = models.DateTimeField(null=True, blank=True)
    # Page cursor of the run in progress, and the highest modification time it has seen.
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cursor = models.TextField(blank=True, default="")
    pending_watermark = models.DateTimeField(null=True, blank=True)
    last_full_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "entity"], name="checkpoint_unique"),
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.connection_id}/{self.entity}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Acknowledged"
    FAILED = "failed", "Failed (gave up)"


class OutboxMessage(TimeStampedModel):
    """A write FieldOps makes to an ERP (labour, completion, parts, readings), retried until the
    ERP acknowledges it; ``key`` makes each change go out once."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outbox")
    key = models.CharField(max_length=200)
    operation = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this time: the backoff after a failure, or the lease of the push in flight.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="outbox_key_unique"),
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="outbox_pending"),
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key} ({self.status})"


class RateLimitWindow(models.Model):
    """The database backend of the limiter (embedded mode): requests per connection and minute,
    and calls in flight. Redis replaces it when configured."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "window_start"], name="ratelimit_window_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}@{self.window_start:%H:%M}: {self.count}"


class ConcurrencyLease(models.Model):
    """One of a connection's ``max_concurrency`` call slots (database limiter backend). A lease
    that outlives ``expires_at`` (its worker died) is free again."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "slot"], name="lease_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}#{self.slot}"
