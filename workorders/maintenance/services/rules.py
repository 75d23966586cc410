"""Condition rules on gauge meters: defining them, and evaluating readings against them.

Evaluation walks the readings newer than the rule's checkpoint, in the order they were taken,
through three states: ok -> pending (the condition holds) -> firing (it held for the minimum
duration). Firing is the only edge that opens a work order; the rule returns to ok only once the
value is back past ``clear_value`` (hysteresis). A value hovering at the limit therefore fires
once. The database allows one open firing per rule, so no second work order opens while the
first is open, whoever evaluates at the same moment.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from assets.models import Meter, MeterKind, MeterReading
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import ValidationFailed, VersionConflict
from fieldops.tenancy import get_for_organization
from workorders.maintenance.models import (
    ConditionRule,
    Direction,
    RuleFiring,
    RuleKind,
    RuleState,
)
from workorders.maintenance.schedule import least_squares
from workorders.maintenance.services.completion import close_finished_firings
from workorders.models import ChangeSource, Priority, WorkType
from workorders.services import WorkOrderSpec, work_order_create

FIRING_NAMESPACE = uuid.UUID("0d6c3c8e-2a43-4f43-9d0f-9a4f1e3a7b21")
MAX_READINGS = 600
EVIDENCE_READINGS = 20


@dataclass
class RuleSpec:
    name: str = ""
    is_active: bool = True
    meter_id: uuid.UUID | None = None
    kind: str = RuleKind.THRESHOLD
    direction: str = Direction.ABOVE
    limit: float | None = None
    clear_value: float | None = None
    rate_per_hour: float | None = None
    window_hours: int = 24
    sample_size: int = 10
    horizon_days: int = 7
    min_duration_minutes: int = 0
    work_title: str = ""
    priority: str = Priority.HIGH
    required_skill: str = ""
    estimated_minutes: int | None = None


RULE_FIELDS = list(RuleSpec.__dataclass_fields__)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_rule(spec: RuleSpec, *, organization_id: int) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = (spec.name or "").strip()
    if not name:
        errors["name"] = "This field is required."
    elif len(name) > 200:
        errors["name"] = "At most 200 characters."
    meter = None
    if spec.meter_id:
        meter = Meter.objects.filter(organization_id=organization_id, public_id=spec.meter_id)
        meter = meter.select_related("asset").first()
    if meter is None:
        errors["meter_id"] = "Choose a gauge meter of your organisation."
    elif meter.kind != MeterKind.GAUGE:
        errors["meter_id"] = (
            f"“{meter.name}” is a cumulative meter; condition rules watch gauge meters "
            "(temperature, pressure, vibration). Count usage with a meter-based plan."
        )
    if spec.kind not in RuleKind.values:
        errors["kind"] = f"One of: {', '.join(RuleKind.values)}."
    if spec.direction not in Direction.values:
        errors["direction"] = f"One of: {', '.join(Direction.values)}."
    if not _finite(spec.limit):
        errors["limit"] = "Give the limit as a number."
    clear = spec.clear_value
    if clear is not None and not _finite(clear):
        errors["clear_value"] = "Must be a number."
    above = spec.direction == Direction.ABOVE
    if spec.kind == RuleKind.THRESHOLD and _finite(spec.limit) and "clear_value" not in errors:
        clear = spec.limit if clear is None else clear
        if above and clear > spec.limit:
            errors["clear_value"] = (
                "For a rising value, the clear level must be at or below the limit."
            )
        if not above and clear < spec.limit:
            errors["clear_value"] = (
                "For a falling value, the clear level must be at or above the limit."
            )
    if spec.kind == RuleKind.RATE:
        if not _finite(spec.rate_per_hour) or spec.rate_per_hour <= 0:
            errors["rate_per_hour"] = "Give the rate of change per hour, more than 0."
        elif "clear_value" not in errors:
            clear = spec.rate_per_hour if clear is None else clear
            if not 0 <= clear <= spec.rate_per_hour:
                errors["clear_value"] = "The clear rate must be between 0 and the firing rate."
        if not 1 <= spec.window_hours <= 24 * 30:
            errors["window_hours"] = "Between 1 hour and 30 days."
    if spec.kind == RuleKind.PROJECTION:
        if not 3 <= spec.sample_size <= 100:
            errors["sample_size"] = "Fit the trend over 3 to 100 readings."
        if not 1 <= spec.horizon_days <= 365:
            errors["horizon_days"] = "Between 1 and 365 days."
    if not 0 <= spec.min_duration_minutes <= 7 * 24 * 60:
        errors["min_duration_minutes"] = "Between 0 minutes and 7 days."
    if spec.priority not in Priority.values:
        errors["priority"] = f"One of: {', '.join(Priority.values)}."
    if spec.estimated_minutes is not None and not 0 < spec.estimated_minutes <= 60 * 24 * 30:
        errors["estimated_minutes"] = "Between 1 minute and 30 days."
    if len(spec.work_title or "") > 200:
        errors["work_title"] = "At most 200 characters."
    if len(spec.required_skill or "") > 60:
        errors["required_skill"] = "At most 60 characters."
    if errors:
        raise ValidationFailed(
            "The rule is not valid; nothing was saved.", details={"fields": errors}
        )
    return {
        "name": name,
        "is_active": bool(spec.is_active),
        "meter": meter,
        "kind": spec.kind,
        "direction": spec.direction,
        "limit": spec.limit,
        "clear_value": clear if spec.kind != RuleKind.PROJECTION else None,
        "rate_per_hour": spec.rate_per_hour if spec.kind == RuleKind.RATE else None,
        "window_hours": spec.window_hours,
        "sample_size": spec.sample_size,
        "horizon_days": spec.horizon_days,
        "min_duration_minutes": spec.min_duration_minutes,
        "work_title": (spec.work_title or "").strip(),
        "priority": spec.priority,
        "required_skill": (spec.required_skill or "").strip(),
        "estimated_minutes": spec.estimated_minutes,
    }


def rule_create(*, membership: Membership, spec: RuleSpec) -> ConditionRule:
    require(membership, "maintenance.plan")
    values = validate_rule(spec, organization_id=membership.organization_id)
    return ConditionRule.objects.create(organization_id=membership.organization_id, **values)


def rule_update(
    *, membership: Membership, rule_id: Any, version: int, changes: dict[str, Any]
) -> ConditionRule:
    """Change a rule. A changed condition starts evaluation afresh (state ok, checkpoint kept:
    readings already seen are not replayed against the new limit)."""
    require(membership, "maintenance.plan")
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(details={"fields": dict.fromkeys(unknown, "Unknown field.")})
    with transaction.atomic():
        rule = get_for_organization(
            ConditionRule.objects.select_for_update(of=("self",)).select_related("meter"),
            organization_id=membership.organization_id,
            public_id=rule_id,
        )
        if rule.version != version:
            raise VersionConflict(details={"current_version": rule.version})
        spec = RuleSpec(**{name: getattr(rule, name) for name in RULE_FIELDS if name != "meter_id"})
        spec.meter_id = rule.meter.public_id
        for name, value in changes.items():
            setattr(spec, name, value)
        values = validate_rule(spec, organization_id=membership.organization_id)
        for name, value in values.items():
            setattr(rule, name, value)
        if rule.state == RuleState.PENDING:
            rule.state, rule.pending_since = RuleState.OK, None
        rule.version += 1
        rule.save()
    return rule


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class Reading:
    id: str
    taken_at: datetime
    value: float


@dataclass
class Verdict:
    breach: bool
    clear: bool
    metric: float | None = None


def _days(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 86400


def trend(readings: list[Reading]) -> dict[str, Any] | None:
    """Least-squares line through the readings: slope per day, value now, when it would reach
    ``limit`` (filled in by the caller)."""
    if len(readings) < 2:
        return None
    end = readings[-1].taken_at
    fit = least_squares([(_days(r.taken_at, end), r.value) for r in readings])
    if fit is None:
        return None
    intercept, slope = fit
    return {"slope_per_day": slope, "value_now": intercept, "at": end}


def projected_days(rule: ConditionRule, fitted: dict | None, value: float) -> float:
    """Days from the last reading until the trend reaches the limit (0 if past it, inf if never)."""
    above = rule.direction == Direction.ABOVE
    if (above and value >= rule.limit) or (not above and value <= rule.limit):
        return 0.0
    if fitted is None:
        return math.inf
    slope = fitted["slope_per_day"]
    if (above and slope <= 0) or (not above and slope >= 0):
        return math.inf
    return max(0.0, (rule.limit - fitted["value_now"]) / slope)


def verdict(rule: ConditionRule, history: list[Reading]) -> Verdict:
    """Whether the newest reading of ``history`` (oldest first) breaches the rule, or clears it."""
    current = history[-1]
    above = rule.direction == Direction.ABOVE
    if rule.kind == RuleKind.THRESHOLD:
        clear_at = rule.limit if rule.clear_value is None else rule.clear_value
        value = current.value
        if above:
            return Verdict(value >= rule.limit, value <= clear_at, value)
        return Verdict(value <= rule.limit, value >= clear_at, value)
    if rule.kind == RuleKind.RATE:
        since = current.taken_at - timedelta(hours=rule.window_hours)
        window = [r for r in history if r.taken_at >= since]
        fitted = trend(window)
        if fitted is None:
            return Verdict(False, True, None)
        per_hour = fitted["slope_per_day"] / 24
        clear_at = rule.rate_per_hour if rule.clear_value is None else rule.clear_value
        if above:
            return Verdict(per_hour >= rule.rate_per_hour, per_hour <= clear_at, per_hour)
        return Verdict(per_hour <= -rule.rate_per_hour, per_hour >= -clear_at, per_hour)
    sample = history[-rule.sample_size :]
    fitted = trend(sample) if len(sample) >= 3 else None
    days = projected_days(rule, fitted, current.value)
    if fitted is None and days != 0.0:
        return Verdict(False, True, None)
    # Hysteresis for a projection: it clears once the crossing moves beyond twice the horizon.
    return Verdict(days <= rule.horizon_days, days > 2 * rule.horizon_days, days)


def evidence(rule: ConditionRule, history: list[Reading], found: Verdict) -> dict[str, Any]:
    sample = history[-max(rule.sample_size, 3) :]
    fitted = trend(sample)
    days = projected_days(rule, fitted, history[-1].value)
    projected = None
    if math.isfinite(days):
        projected = (history[-1].taken_at + timedelta(days=days)).isoformat()
    return {
        "kind": rule.kind,
        "direction": rule.direction,
        "limit": rule.limit,
        "value": history[-1].value,
        "metric": found.metric if found.metric is None or math.isfinite(found.metric) else None,
        "readings": [
            {"id": r.id, "taken_at": r.taken_at.isoformat(), "value": r.value}
            for r in history[-EVIDENCE_READINGS:]
        ],
        "trend": None
        if fitted is None
        else {"slope_per_day": fitted["slope_per_day"], "value_now": fitted["value_now"]},
        "projected_date": projected,
    }


def _describe(rule: ConditionRule, proof: dict[str, Any]) -> str:
    meter = rule.meter
    lines = [
        f"Condition rule “{rule.name}” fired: {meter.name} {rule.get_direction_display()} "
        f"{rule.limit:g} {meter.unit} ({rule.get_kind_display().lower()}).",
        f"Latest reading: {proof['value']:g} {meter.unit} at {proof['readings'][-1]['taken_at']}.",
    ]
    if proof["trend"]:
        lines.append(f"Trend: {proof['trend']['slope_per_day']:+.3g} {meter.unit} per day.")
    if proof["projected_date"]:
        lines.append(f"Projected to reach the limit: {proof['projected_date'][:16]}.")
    values = ", ".join(f"{r['value']:g}" for r in proof["readings"][-10:])
    lines.append(f"Recent readings: {values}.")
    return "\n".join(lines)


def _fire(rule: ConditionRule, history: list[Reading], found: Verdict) -> RuleFiring | None:
    if RuleFiring.objects.filter(rule=rule, is_open=True).exists():
        return None
    proof = evidence(rule, history, found)
    try:
        with transaction.atomic():
            firing = RuleFiring.objects.create(
                organization_id=rule.organization_id,
                rule=rule,
                fired_at=history[-1].taken_at,
                evidence=proof,
            )
            work_order, _ = work_order_create(
                membership=None,
                organization_id=rule.organization_id,
                spec=WorkOrderSpec(
                    title=rule.work_title or f"{rule.meter.asset.code}: {rule.name}",
                    description=_describe(rule, proof),
                    work_type=WorkType.PREDICTIVE,
                    priority=rule.priority,
                    asset_id=rule.meter.asset.public_id,
                    estimated_minutes=rule.estimated_minutes,
                    required_skill=rule.required_skill,
                ),
                source=ChangeSource.SYSTEM,
                client_id=uuid.uuid5(FIRING_NAMESPACE, f"{rule.public_id}:{history[-1].id}"),
            )
            firing.work_order = work_order
            firing.save(update_fields=["work_order"])
    except IntegrityError:
        return None  # a concurrent evaluation holds the open firing
    return firing


def rule_evaluate(*, rule_id: int) -> list[RuleFiring]:
    """Walk the readings this rule has not seen yet. Idempotent: seen readings are skipped."""
    fired: list[RuleFiring] = []
    with transaction.atomic():
        rule = (
            ConditionRule.objects.select_for_update(of=("self",))
            .select_related("meter__asset")
            .filter(pk=rule_id, is_active=True)
            .first()
        )
        if rule is None:
            return fired
        rows = MeterReading.objects.filter(meter_id=rule.meter_id).order_by("-taken_at", "-id")
        history = [
            Reading(str(r["public_id"]), r["taken_at"], r["value"])
            for r in rows.values("public_id", "taken_at", "value")[:MAX_READINGS]
        ][::-1]
        minimum = timedelta(minutes=rule.min_duration_minutes)
        for index, reading in enumerate(history):
            if rule.checked_until is not None and reading.taken_at <= rule.checked_until:
                continue
            seen = history[: index + 1]
            found = verdict(rule, seen)
            if rule.state == RuleState.OK and found.breach:
                rule.state, rule.pending_since = RuleState.PENDING, reading.taken_at
            if rule.state == RuleState.PENDING:
                if not found.breach:
                    rule.state, rule.pending_since = RuleState.OK, None
                elif reading.taken_at - rule.pending_since >= minimum:
                    rule.state, rule.last_fired_at = RuleState.FIRING, reading.taken_at
                    firing = _fire(rule, seen, found)
                    if firing is not None:
                        fired.append(firing)
            elif rule.state == RuleState.FIRING and found.clear:
                rule.state, rule.pending_since = RuleState.OK, None
            rule.checked_until = reading.taken_at
        rule.save(update_fields=["state", "pending_since", "checked_until", "last_fired_at"])
    return fired


def rules_evaluate_for_meter(*, organization_id: int, meter_id: Any) -> list[RuleFiring]:
    """Evaluate every active rule on one meter (a reading arrived)."""
    ids = ConditionRule.objects.filter(
        organization_id=organization_id, meter__public_id=meter_id, is_active=True
    ).values_list("pk", flat=True)
    fired: list[RuleFiring] = []
    for rule_id in list(ids):
        fired += rule_evaluate(rule_id=rule_id)
    return fired


def rules_evaluate_stale(*, organization_id: int | None = None) -> list[RuleFiring]:
    """Backstop from the beat: rules with readings they have not seen (a lost event), and rules
    whose work order finished while nobody told them."""
    close_finished_firings(organization_id=organization_id)
    rules = ConditionRule.objects.filter(is_active=True, meter__last_reading_at__isnull=False)
    rules = rules.filter(
        Q(checked_until__isnull=True) | Q(meter__last_reading_at__gt=F("checked_until"))
    )
    if organization_id is not None:
        rules = rules.filter(organization_id=organization_id)
    fired: list[RuleFiring] = []
    for rule_id in list(rules.values_list("pk", flat=True)):
        fired += rule_evaluate(rule_id=rule_id)
    return fired
