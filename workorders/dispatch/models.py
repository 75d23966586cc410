"""The workforce: technicians' skills, certifications, crews, bases, shifts, time off, positions
and devices; and the record of every assignment made against a skill or shift."""

import uuid

from django.db import models
from django.db.models import Q

from fieldops.models import OrganizationScopedModel, TimeStampedModel


class Skill(OrganizationScopedModel):
    """A trade a work order may require (``WorkOrder.required_skill`` holds its code)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    requires_certification = models.BooleanField(
        default=False,
        help_text="Counts only while the technician holds an unexpired certification for it.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="skill_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Crew(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="crew_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TechnicianStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    TRAVELLING = "travelling", "Travelling"
    OFF = "off", "Off"


class TechnicianProfile(OrganizationScopedModel):
    """What dispatch knows about one technician membership."""

    membership = models.OneToOneField(
        "accounts.Membership", on_delete=models.CASCADE, related_name="technician_profile"
    )
    crew = models.ForeignKey(
        Crew, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    status = models.CharField(
        max_length=12, choices=TechnicianStatus.choices, default=TechnicianStatus.AVAILABLE
    )
    home_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    home_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Reported by the phone while the app is open, only with the technician's consent.
    location_consent = models.BooleanField(default=False)
    last_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_position_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TechnicianStatus.values), name="tech_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(home_latitude__isnull=True)
                | Q(home_latitude__gte=-90, home_latitude__lte=90),
                name="tech_home_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(home_longitude__isnull=True)
                | Q(home_longitude__gte=-180, home_longitude__lte=180),
                name="tech_home_lng_range",
            ),
            models.CheckConstraint(
                condition=Q(last_latitude__isnull=True) | Q(location_consent=True),
                name="tech_position_needs_consent",
            ),
        ]
        indexes = [models.Index(fields=["organization", "updated_at"], name="tech_org_updated")]

    def __str__(self) -> str:
        return f"profile {self.membership_id}"


class TechnicianSkill(models.Model):
    profile = models.ForeignKey(TechnicianProfile, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(default=1, help_text="1 (trainee) to 5 (expert)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "skill"], name="tech_skill_once"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="tech_skill_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.skill_id} L{self.level}"


class Certification(TimeStampedModel):
    profile = models.ForeignKey(
        TechnicianProfile, on_delete=models.CASCADE, related_name="certifications"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: does not expire")

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """A weekly working window in the organisation's time zone (weekday 0 = Monday)."""

    profile = models.ForeignKey(TechnicianProfile, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="shift_weekday"),
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="shift_ordered"),
        ]
        ordering = ["weekday", "starts"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts}-{self.ends}"


class TimeOff(models.Model):
    profile = models.ForeignKey(
        TechnicianProfile, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="time_off_ordered"
            ),
        ]
        indexes = [models.Index(fields=["profile", "ends_at"], name="time_off_profile_end")]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.starts_at:%Y-%m-%d}"


class DeviceState(OrganizationScopedModel):
    """The last thing a technician's phone told us: when it synced, what it still holds."""

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="device_states"
    )
    device_id = models.CharField(max_length=100)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    pending_changes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "device_id"], name="device_once"),
        ]
        indexes = [models.Index(fields=["organization", "updated_at"], name="device_org_updated")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.device_id}"


class OverrideReason(models.TextChoices):
    MISSING_SKILL = "missing_skill", "Lacks the required skill"
    EXPIRED_CERTIFICATION = "expired_certification", "Certification expired"
    OFF_SHIFT = "off_shift", "Off shift"
    TIME_OFF = "time_off", "On time off"


class AssignmentOverride(OrganizationScopedModel):
    """Append-only: someone was assigned although a rule said no, by whom and why."""

    work_order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.CASCADE, related_name="assignment_overrides"
    )
    technician = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    overridden_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    problems = models.JSONField(default=list, help_text="OverrideReason codes")
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} -> {self.technician_id}: {self.problems}"


class DayPlanStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SOLVING = "solving", "Solving"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class DayPlan(OrganizationScopedModel):
    """One "Plan the day" run: what was asked (a day, and a site, a crew or everyone), the
    solver's progress, and the proposal as lanes of stops plus what could not be placed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    day = models.DateField()
    site = models.ForeignKey(
        "assets.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    crew = models.ForeignKey(
        Crew, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=DayPlanStatus.choices, default=DayPlanStatus.QUEUED
    )
    time_limit = models.PositiveSmallIntegerField(default=10, help_text="Seconds of search")
    solving_since = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"lanes": [...], "unplaced": [...], "travel": {"before": n, "after": n}} — see services.
    proposal = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DayPlanStatus.values), name="day_plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=True) | Q(crew__isnull=True), name="day_plan_one_scope"
            ),
        ]
        indexes = [models.Index(fields=["organization", "day"], name="day_plan_org_day")]

    def __str__(self) -> str:
        return f"plan {self.day} {self.status}"


class DayPlanAcceptance(models.Model):
    """A proposed stop that a dispatcher accepted: at most one per plan and work order, so
    accepting twice (a double click, a retried request, all after a lane) assigns once."""

    plan = models.ForeignKey(DayPlan, on_delete=models.CASCADE, related_name="acceptances")
    work_order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.CASCADE, related_name="+"
    )
    accepted_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "work_order"], name="day_plan_accept_once"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.work_order_id}"
