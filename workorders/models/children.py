"""Append-only children of a work order. Each row carries a client-generated UUID, so a replayed
offline write is recognised, and edits from two devices merge without conflict."""

import uuid

from django.db import models
from django.db.models import Q

from fieldops.models import OrganizationScopedModel
from workorders.models.work_order import WorkOrder


class ChildRecord(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(help_text="Device time of the change")

    class Meta:
        abstract = True


class Note(ChildRecord):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class TimeKind(models.TextChoices):
    TRAVEL = "travel", "Travel"
    WORK = "work", "Work"
    WAITING = "waiting", "Waiting"
    BREAK = "break", "Break"


class TimeEntry(ChildRecord):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="time_entries")
    technician = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="time_entries"
    )
    kind = models.CharField(max_length=8, choices=TimeKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Empty while running")
    minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TimeKind.values), name="time_kind_valid"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="time_entry_ordered",
            ),
        ]
        indexes = [models.Index(fields=["technician", "started_at"], name="time_tech_start")]

    def __str__(self) -> str:
        return f"{self.kind} {self.minutes or '…'} min"


class Part(OrganizationScopedModel):
    """A stocked item; synced from the ERP where one is connected."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=20, default="ea")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="part_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class PartUsage(ChildRecord):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts_used")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="usages")
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    stock_location = models.CharField(max_length=100, blank=True, help_text="Van, store, site…")

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="part_usage_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.part_id}"


class ChecklistItemKind(models.TextChoices):
    PASS_FAIL = "pass_fail", "Pass / fail"
    VALUE = "value", "Value"
    TEXT = "text", "Text"


class ChecklistItem(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=ChecklistItemKind.choices)
    required = models.BooleanField(default=True)
    requires_photo = models.BooleanField(default=False)
    unit = models.CharField(max_length=20, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "position"], name="checklist_position")
        ]

    def __str__(self) -> str:
        return self.label


class ChecklistResult(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    NA = "na", "Not applicable"


class ChecklistAnswer(ChildRecord):
    """The latest answer of an item counts; earlier ones stay as its history."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="answers")
    result = models.CharField(max_length=4, choices=ChecklistResult.choices, blank=True)
    value = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["item", "occurred_at"], name="answer_item_time")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.result or self.value or self.text[:20]}"

    @property
    def is_failure(self) -> bool:
        if self.result == ChecklistResult.FAIL:
            return True
        item = self.item
        if self.value is None:
            return False
        return (item.min_value is not None and self.value < item.min_value) or (
            item.max_value is not None and self.value > item.max_value
        )


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    FILE = "file", "File"


class Attachment(ChildRecord):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    checklist_item = models.ForeignKey(
        ChecklistItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    kind = models.CharField(max_length=5, choices=AttachmentKind.choices)
    file = models.FileField(upload_to="workorders/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Signature(ChildRecord):
    """The customer's signature; the service report's SHA-256 is fixed at signing, so a change
    made afterwards shows."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="signatures")
    signer_name = models.CharField(max_length=200)
    image = models.FileField(upload_to="signatures/%Y/%m/")
    image_sha256 = models.CharField(max_length=64)
    report_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.signer_name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class WorkOrderReading(OrganizationScopedModel):
    """A meter reading taken on this job. The reading itself lives with its meter (assets, the
    one place readings are checked and stored); this row says which job it was taken on."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="meter_readings"
    )
    reading = models.OneToOneField(
        "assets.MeterReading", on_delete=models.CASCADE, related_name="taken_on"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.reading} on {self.work_order_id}"
