"""The work order, its number sequence, assignment, history and the SLA policy it is held to."""

import uuid

from django.db import models
from django.db.models import Q

from fieldops.models import OrganizationScopedModel, TimeStampedModel
from workorders.lifecycle import (
    DONE_STATUSES,
    FROZEN_STATUSES,
    OPEN_STATUSES,
    SIGNABLE_STATUSES,
    Status,
)


class WorkType(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"
    PREDICTIVE = "predictive", "Predictive"
    INSPECTION = "inspection", "Inspection"
    EMERGENCY = "emergency", "Emergency"


class Priority(models.TextChoices):
    URGENT = "p1", "P1 · Urgent"
    HIGH = "p2", "P2 · High"
    MEDIUM = "p3", "P3 · Medium"
    LOW = "p4", "P4 · Low"


class ChangeSource(models.TextChoices):
    WEB = "web", "Web"
    MOBILE = "mobile", "Mobile"
    OFFLINE = "offline", "Offline"
    ERP = "erp", "ERP"
    API = "api", "API"
    SYSTEM = "system", "System"


class WorkOrderSequence(models.Model):
    """The last number handed out per organisation. Locked while a work order is created, so
    numbers are gap-free: a rolled-back create gives its number back."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.last_number}"


class OrganizationWorkSettings(TimeStampedModel):
    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="work_settings"
    )
    require_signature = models.BooleanField(
        default=False, help_text="A customer signature is needed to complete work."
    )
    at_risk_fraction = models.FloatField(
        default=0.25, help_text="Open work is at risk when less than this share of its SLA is left."
    )


class SlaPolicy(OrganizationScopedModel):
    """Targets in minutes from creation, per priority: respond (assigned), be on site (started),
    resolve (completed)."""

    priority = models.CharField(max_length=2, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField()
    onsite_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "priority"], name="sla_policy_unique"),
            models.CheckConstraint(
                condition=Q(response_minutes__lte=models.F("onsite_minutes"))
                & Q(onsite_minutes__lte=models.F("resolution_minutes")),
                name="sla_policy_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.priority}"


class WorkOrderIdentity:
    """How a work order is named and whether it is open: the same for the model and for the
    plain rows pages read (``workorders.selectors.JobCard``)."""

    __slots__ = ()
    number: int
    status: str

    @property
    def reference(self) -> str:
        return f"WO-{self.number:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    @property
    def is_signable(self) -> bool:
        return self.status in SIGNABLE_STATUSES


class WorkOrder(WorkOrderIdentity, OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    work_type = models.CharField(
        max_length=12, choices=WorkType.choices, default=WorkType.CORRECTIVE
    )
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "assets.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignees = models.ManyToManyField(
        "accounts.Membership",
        through="WorkOrderAssignment",
        through_fields=("work_order", "membership"),
        related_name="assigned_work_orders",
    )
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    # The failed checklist answer this follow-up was opened for (one follow-up per answer).
    found_by = models.ForeignKey(
        "workorders.ChecklistAnswer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    source = models.CharField(max_length=8, choices=ChangeSource.choices, default=ChangeSource.WEB)
    # SLA clocks (set from the policy at creation, kept if the priority changes later)
    response_due_at = models.DateTimeField(null=True, blank=True)
    onsite_due_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Resolution due by")
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Milestones, from the device time of the transition that reached them
    responded_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    cause = models.CharField(max_length=300, blank=True)
    remedy = models.CharField(max_length=300, blank=True)
    required_skill = models.CharField(max_length=60, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="wo_number_unique"),
            models.UniqueConstraint(fields=["found_by"], name="wo_one_follow_up_per_answer"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="wo_status_valid"),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="wo_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(work_type__in=WorkType.values), name="wo_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(scheduled_end__isnull=True)
                | Q(scheduled_start__isnull=True)
                | Q(scheduled_end__gte=models.F("scheduled_start")),
                name="wo_schedule_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "id"], name="wo_org_status"),
            models.Index(fields=["organization", "priority", "id"], name="wo_org_priority"),
            models.Index(fields=["organization", "due_at", "id"], name="wo_org_due"),
            models.Index(fields=["organization", "asset", "id"], name="wo_org_asset"),
            models.Index(fields=["organization", "location", "id"], name="wo_org_location"),
            models.Index(fields=["organization", "work_type", "id"], name="wo_org_type"),
            models.Index(fields=["organization", "updated_at", "id"], name="wo_org_updated"),
            # The dashboards' period figures: work completed, and scheduled to end, in a period.
            models.Index(fields=["organization", "completed_at"], name="wo_org_completed"),
            models.Index(fields=["organization", "scheduled_end"], name="wo_org_sched_end"),
            # First-time fix: other work on the same asset created soon after a repair.
            models.Index(
                fields=["organization", "asset", "created_at"], name="wo_org_asset_created"
            ),
            # "Open work", newest first: the dispatcher's everyday list. Several statuses at once
            # cannot walk wo_org_status in id order; this small partial index can.
            models.Index(
                fields=["organization", "id"],
                name="wo_org_open",
                condition=Q(status__in=OPEN_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class WorkOrderAssignment(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="assignments")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="work_assignments"
    )
    assigned_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_order", "membership"], name="wo_assignee_once"),
        ]
        indexes = [models.Index(fields=["membership", "work_order"], name="wo_assign_member")]

    def __str__(self) -> str:
        return f"{self.work_order_id} -> {self.membership_id}"


class WorkOrderHistory(models.Model):
    """Append-only: every status change and every other change, with who, when and from where."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        ASSIGNED = "assigned", "Assigned"
        UPDATED = "updated", "Updated"
        REPORT_SIGNED = "signed", "Report signed"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=ChangeSource.choices)
    occurred_at = models.DateTimeField(help_text="When it happened (device time if offline)")
    recorded_at = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["work_order", "occurred_at"], name="wo_history_order")]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind} {self.from_status}->{self.to_status}"
