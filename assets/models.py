"""Locations, assets and their hierarchies, meters and readings.

Both trees keep a materialised ``path`` of primary keys ("/3/17/42/"), so a subtree is one indexed
prefix match and a cycle check is one string comparison. Only the services in ``services.py``
write these fields.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from fieldops.models import OrganizationScopedModel


class LocationKind(models.TextChoices):
    SITE = "site", "Site"
    BUILDING = "building", "Building"
    AREA = "area", "Area"


class Location(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=LocationKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=500, default="", editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", Lower("code"), name="location_code_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=LocationKind.values), name="location_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=LocationKind.SITE) | Q(parent__isnull=True),
                name="location_site_is_root",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "path"], name="location_org_path"),
            models.Index(fields=["organization", "updated_at", "id"], name="location_org_updated"),
            models.Index(fields=["organization", "kind", "code"], name="location_org_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


class AssetStatus(models.TextChoices):
    OPERATING = "operating", "Operating"
    DOWN = "down", "Down"
    RETIRED = "retired", "Retired"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Asset(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    asset_type = models.CharField(max_length=60, blank=True)
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    status = models.CharField(
        max_length=10, choices=AssetStatus.choices, default=AssetStatus.OPERATING
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=500, default="", editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    serial_number = models.CharField(max_length=100, blank=True)
    manufacturer = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    install_date = models.DateField(null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Lower-cased code, name, serial, manufacturer and model: one column (trigram-indexed on
    # PostgreSQL) answers the list's text search.
    search_text = models.CharField(max_length=600, default="", editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", Lower("code"), name="asset_code_unique"),
            models.CheckConstraint(
                condition=Q(status__in=AssetStatus.values), name="asset_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(criticality__in=Criticality.values), name="asset_criticality_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="asset_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="asset_longitude_range",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "code"], name="asset_org_status"),
            models.Index(fields=["organization", "criticality", "code"], name="asset_org_crit"),
            models.Index(fields=["organization", "asset_type", "code"], name="asset_org_type"),
            models.Index(fields=["organization", "location", "code"], name="asset_org_location"),
            models.Index(fields=["organization", "path"], name="asset_org_path"),
            models.Index(fields=["organization", "updated_at", "id"], name="asset_org_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class AssetStatusChange(OrganizationScopedModel):
    """Append-only: who moved an asset from one status to another, when and why."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=AssetStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=AssetStatus.choices)
    changed_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["asset", "-changed_at"], name="asset_status_change_asset")]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.from_status or '-'} → {self.to_status}"


class MeterKind(models.TextChoices):
    CUMULATIVE = "cumulative", "Cumulative (run hours, km, cycles)"
    GAUGE = "gauge", "Gauge (temperature, pressure, vibration)"


class Meter(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="meters")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=MeterKind.choices)
    unit = models.CharField(max_length=20)
    # The physical range a real reading can fall in (a sensor's span, a gauge's dial).
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True, editable=False)
    last_reading_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "name"], name="meter_name_unique_per_asset"),
            models.CheckConstraint(condition=Q(kind__in=MeterKind.values), name="meter_kind_valid"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="meter_range_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "updated_at", "id"], name="meter_org_updated"),
            models.Index(fields=["organization", "kind", "id"], name="meter_org_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class ReadingSource(models.TextChoices):
    TECHNICIAN = "technician", "Technician"
    ERP = "erp", "ERP"
    IOT = "iot", "IoT"
    IMPORT = "import", "Import"


class MeterReading(OrganizationScopedModel):
    """Append-only. A reading flagged ``is_replacement`` starts a new count on a cumulative
    meter (the physical meter was swapped), so it may be lower than the one before."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="readings")
    value = models.FloatField()
    taken_at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=ReadingSource.choices)
    is_replacement = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ReadingSource.values), name="reading_source_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["meter", "taken_at", "id"], name="reading_meter_taken"),
            models.Index(fields=["organization", "created_at", "id"], name="reading_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.value} at {self.taken_at:%Y-%m-%d %H:%M}"
