"""Maintenance plans (preventive: a work-order template with a trigger) and condition rules
(predictive: a gauge meter watched against a limit).

A plan's schedule is kept per covered asset in ``PlanTarget`` (next due date, next due meter mark).
Every due point that was reached becomes one ``PlanOccurrence`` row, numbered per plan and asset;
the unique ``(plan, asset, seq)`` is what makes generation happen exactly once, even when two
workers run it at the same moment. Due dates are local dates in the organisation's time zone.
"""

import uuid

from django.db import models
from django.db.models import Q

from fieldops.models import OrganizationScopedModel
from workorders.models import Priority


class Trigger(models.TextChoices):
    TIME = "time", "Calendar"
    METER = "meter", "Meter"
    BOTH = "both", "Calendar or meter, whichever comes first"


class ScheduleMode(models.TextChoices):
    FIXED = "fixed", "Fixed calendar"
    FLOATING = "floating", "Floating (from the last completion)"


class IntervalUnit(models.TextChoices):
    DAYS = "days", "days"
    WEEKS = "weeks", "weeks"
    MONTHS = "months", "months"


class ScopeKind(models.TextChoices):
    ASSET = "asset", "One asset"
    ASSET_TYPE = "asset_type", "Every asset of a type"


class MaintenancePlan(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # what it covers
    scope = models.CharField(max_length=12, choices=ScopeKind.choices, default=ScopeKind.ASSET)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asset_type = models.CharField(max_length=60, blank=True)
    location = models.ForeignKey(
        "assets.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Assets of the type in this location and everything inside it (all if empty)",
    )
    # when
    trigger = models.CharField(max_length=6, choices=Trigger.choices, default=Trigger.TIME)
    mode = models.CharField(max_length=8, choices=ScheduleMode.choices, default=ScheduleMode.FIXED)
    interval_count = models.PositiveIntegerField(null=True, blank=True)
    interval_unit = models.CharField(
        max_length=6, choices=IntervalUnit.choices, default=IntervalUnit.MONTHS
    )
    start_date = models.DateField(help_text="The first due date (local)")
    lead_days = models.PositiveIntegerField(default=0)
    meter_name = models.CharField(max_length=100, blank=True)
    meter_interval = models.FloatField(null=True, blank=True)
    meter_start = models.FloatField(
        null=True, blank=True, help_text="Meter mark of the last service (or the grid origin)"
    )
    meter_lead = models.FloatField(default=0)
    tolerance_percent = models.PositiveSmallIntegerField(default=10)
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)
    skip_if_open = models.BooleanField(
        default=True, help_text="Skip a due point while the previous work order is still open"
    )
    # the work order it opens
    work_title = models.CharField(max_length=200, blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.MEDIUM)
    required_skill = models.CharField(max_length=60, blank=True)
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    checklist = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=Trigger.values), name="plan_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ScheduleMode.values), name="plan_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger=Trigger.METER) | Q(interval_count__gte=1),
                name="plan_time_interval_positive",
            ),
            models.CheckConstraint(
                condition=Q(trigger=Trigger.TIME) | Q(meter_interval__gt=0),
                name="plan_meter_interval_positive",
            ),
            models.CheckConstraint(
                condition=Q(scope=ScopeKind.ASSET_TYPE) | Q(asset__isnull=False),
                name="plan_asset_scope_has_asset",
            ),
            models.CheckConstraint(
                condition=Q(active_until__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="plan_active_window_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "is_active", "id"], name="plan_org_active"),
            models.Index(fields=["organization", "updated_at", "id"], name="plan_org_updated"),
            models.Index(fields=["organization", "name", "id"], name="plan_org_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule_text(self) -> str:
        """ "Every 3 months (fixed) or every 500 h of Run hours, whichever first"."""
        parts = []
        if self.trigger != Trigger.METER and self.interval_count:
            unit = self.interval_unit[:-1] if self.interval_count == 1 else self.interval_unit
            parts.append(f"every {self.interval_count} {unit}")
        if self.trigger != Trigger.TIME and self.meter_interval:
            parts.append(f"every {self.meter_interval:g} on “{self.meter_name}”")
        text = " or ".join(parts)
        if self.trigger == Trigger.BOTH:
            text += ", whichever first"
        mode = "floating" if self.mode == ScheduleMode.FLOATING else "fixed"
        return f"{text[:1].upper()}{text[1:]} ({mode})"

    @property
    def scope_text(self) -> str:
        if self.scope == ScopeKind.ASSET:
            return self.asset.code if self.asset_id else "—"
        where = f" in {self.location.name}" if self.location_id else ""
        return f"Every {self.asset_type}{where}"


class PlanTarget(models.Model):
    """The schedule of one plan on one asset: where its next due point lies."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="targets")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField(default=1, help_text="Number of the next due point")
    time_index = models.PositiveIntegerField(default=0, help_text="Fixed calendar: grid step")
    next_due_date = models.DateField(null=True, blank=True)
    next_due_meter = models.FloatField(null=True, blank=True)
    # Floating plans wait for the open occurrence's completion before the next due point exists.
    waiting = models.BooleanField(default=False)
    last_completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "asset"], name="plan_target_once"),
        ]
        indexes = [models.Index(fields=["asset", "plan"], name="plan_target_asset")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.asset_id} #{self.seq}"


class OccurrenceStatus(models.TextChoices):
    OPEN = "open", "Work order open"
    ON_TIME = "on_time", "Done on time"
    EARLY = "early", "Done early"
    LATE = "late", "Done late"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class SkipReason(models.TextChoices):
    MISSED = "missed", "A later due point was already reached"
    PREVIOUS_OPEN = "previous_open", "The previous work order was still open"


class PlanOccurrence(models.Model):
    """One due point of a plan on an asset that was reached: a work order, or a recorded skip."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="occurrences")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField()
    triggered_by = models.CharField(max_length=6, choices=Trigger.choices)
    due_date = models.DateField()
    due_meter = models.FloatField(null=True, blank=True)
    # The compliance window (local dates; for meter-triggered points the window is in units).
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=OccurrenceStatus.choices, default=OccurrenceStatus.OPEN
    )
    skip_reason = models.CharField(max_length=14, choices=SkipReason.choices, blank=True)
    work_order = models.OneToOneField(
        "workorders.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_occurrence",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    completed_meter = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "asset", "seq"], name="plan_occurrence_once"),
            models.CheckConstraint(
                condition=Q(status__in=OccurrenceStatus.values), name="occurrence_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "due_date"], name="occurrence_plan_due"),
            models.Index(fields=["organization", "due_date"], name="occurrence_org_due"),
            models.Index(fields=["plan", "asset", "-seq"], name="occurrence_plan_asset_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.asset_id} #{self.seq} {self.status}"


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", "Threshold"
    RATE = "rate", "Rate of change"
    PROJECTION = "projection", "Projected crossing"


class Direction(models.TextChoices):
    ABOVE = "above", "rises above"
    BELOW = "below", "falls below"


class RuleState(models.TextChoices):
    OK = "ok", "OK"
    PENDING = "pending", "Limit crossed, waiting for the minimum duration"
    FIRING = "firing", "Firing"


class ConditionRule(OrganizationScopedModel):
    """Watches one gauge meter. Fires on the edge from pending to firing (the condition held for
    ``min_duration_minutes``) and clears only past ``clear_value`` (hysteresis), so a value
    hovering at the limit opens one work order, not one per reading."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    meter = models.ForeignKey("assets.Meter", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=RuleKind.choices)
    direction = models.CharField(max_length=5, choices=Direction.choices, default=Direction.ABOVE)
    limit = models.FloatField(help_text="The meter value that must not be crossed")
    clear_value = models.FloatField(
        null=True,
        blank=True,
        help_text="Threshold: the value back past which the rule clears. Rate: the rate (per "
        "hour) below which it clears.",
    )
    rate_per_hour = models.FloatField(null=True, blank=True)
    window_hours = models.PositiveIntegerField(default=24)
    sample_size = models.PositiveSmallIntegerField(default=10)
    horizon_days = models.PositiveIntegerField(default=7)
    min_duration_minutes = models.PositiveIntegerField(default=0)
    # the work order it opens
    work_title = models.CharField(max_length=200, blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.HIGH)
    required_skill = models.CharField(max_length=60, blank=True)
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    # evaluation state
    state = models.CharField(max_length=8, choices=RuleState.choices, default=RuleState.OK)
    pending_since = models.DateTimeField(null=True, blank=True)
    checked_until = models.DateTimeField(
        null=True, blank=True, help_text="Taken-at of the newest reading evaluated"
    )
    last_fired_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RuleKind.values), name="rule_kind_valid"),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="rule_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=RuleState.values), name="rule_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "is_active", "id"], name="rule_org_active"),
            models.Index(fields=["meter", "is_active"], name="rule_meter_active"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A rule fired and opened a work order. At most one open firing per rule (database-enforced):
    no second work order while the first is still open."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    rule = models.ForeignKey(ConditionRule, on_delete=models.CASCADE, related_name="firings")
    work_order = models.OneToOneField(
        "workorders.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rule_firing",
    )
    fired_at = models.DateTimeField()
    is_open = models.BooleanField(default=True)
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule"], condition=Q(is_open=True), name="rule_one_open_firing"
            ),
        ]
        indexes = [models.Index(fields=["rule", "-fired_at"], name="firing_rule_fired")]

    def __str__(self) -> str:
        return f"{self.rule_id} at {self.fired_at:%Y-%m-%d %H:%M}"
