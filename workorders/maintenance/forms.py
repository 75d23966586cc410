"""Turning the editors' form posts into specs, and specs back into form values. Parsing only:
every rule lives in the services."""

from datetime import date
from typing import Any
from uuid import UUID

from django.http import QueryDict

from fieldops.errors import ValidationFailed
from workorders.maintenance.services import PlanSpec, RuleSpec

PLAN_INTS = ("interval_count", "lead_days", "tolerance_percent", "estimated_minutes")
PLAN_FLOATS = ("meter_interval", "meter_start", "meter_lead")
PLAN_DATES = ("start_date", "active_from", "active_until")
PLAN_TEXT = (
    "name",
    "description",
    "scope",
    "asset_type",
    "trigger",
    "mode",
    "interval_unit",
    "meter_name",
    "work_title",
    "priority",
    "required_skill",
)
RULE_INTS = ("window_hours", "sample_size", "horizon_days", "min_duration_minutes")
RULE_INTS_OPTIONAL = ("estimated_minutes",)
RULE_FLOATS = ("limit", "clear_value", "rate_per_hour")
RULE_TEXT = ("name", "kind", "direction", "work_title", "priority", "required_skill")


def _number(errors: dict, name: str, raw: str, kind: type) -> Any:
    raw = (raw or "").strip().replace(",", ".") if kind is float else (raw or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[name] = "Must be a whole number." if kind is int else "Must be a number."
        return None


def _date(errors: dict, name: str, raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Must be a date like 2025-01-31."
        return None


def _uuid(errors: dict, name: str, raw: str) -> UUID | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        errors[name] = "Choose from the list."
        return None


def parse_checklist(text: str) -> list[dict[str, Any]]:
    """One item per line: ``label`` (pass/fail), ``label | text`` or
    ``label | value | unit | min | max``."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        item: dict[str, Any] = {"label": parts[0]}
        if len(parts) > 1 and parts[1] in ("value", "text"):
            item["kind"] = parts[1]
        if item.get("kind") == "value":
            item["unit"] = parts[2] if len(parts) > 2 else ""
            for index, bound in ((3, "min_value"), (4, "max_value")):
                if len(parts) > index and parts[index]:
                    try:
                        item[bound] = float(parts[index].replace(",", "."))
                    except ValueError:
                        item[bound] = None
        items.append(item)
    return items


def checklist_text(items: list[dict[str, Any]]) -> str:
    lines = []
    for item in items or []:
        kind = item.get("kind") or "pass_fail"
        if kind == "value":
            bounds = [
                "" if item.get(b) is None else f"{item[b]:g}" for b in ("min_value", "max_value")
            ]
            lines.append(" | ".join([item["label"], "value", item.get("unit") or "", *bounds]))
        elif kind == "text":
            lines.append(f"{item['label']} | text")
        else:
            lines.append(item["label"])
    return "\n".join(lines)


def plan_spec_from(data: QueryDict) -> PlanSpec:
    """A spec from the plan editor's fields; unparseable numbers and dates are refused here,
    named like the service names its fields."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {name: (data.get(name) or "").strip() for name in PLAN_TEXT}
    for name in PLAN_INTS:
        values[name] = _number(errors, name, data.get(name, ""), int)
    for name in PLAN_FLOATS:
        values[name] = _number(errors, name, data.get(name, ""), float)
    for name in PLAN_DATES:
        values[name] = _date(errors, name, data.get(name, ""))
    values["asset_id"] = _uuid(errors, "asset_id", data.get("asset_id", ""))
    values["location_id"] = _uuid(errors, "location_id", data.get("location_id", ""))
    values["is_active"] = data.get("is_active") == "on"
    values["skip_if_open"] = data.get("skip_if_open") == "on"
    values["checklist"] = parse_checklist(data.get("checklist", ""))
    values["lead_days"] = values["lead_days"] or 0
    values["meter_lead"] = values["meter_lead"] or 0.0
    if values["tolerance_percent"] is None:
        values["tolerance_percent"] = 10
    if errors:
        raise ValidationFailed(details={"fields": errors})
    return PlanSpec(**values)


def rule_spec_from(data: QueryDict) -> RuleSpec:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {name: (data.get(name) or "").strip() for name in RULE_TEXT}
    for name in RULE_INTS:
        number = _number(errors, name, data.get(name, ""), int)
        if number is not None:
            values[name] = number
    for name in RULE_INTS_OPTIONAL:
        values[name] = _number(errors, name, data.get(name, ""), int)
    for name in RULE_FLOATS:
        values[name] = _number(errors, name, data.get(name, ""), float)
    values["meter_id"] = _uuid(errors, "meter_id", data.get("meter_id", ""))
    values["is_active"] = data.get("is_active") == "on"
    if errors:
        raise ValidationFailed(details={"fields": errors})
    return RuleSpec(**values)
