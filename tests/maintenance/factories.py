"""Maintenance builders: through the services, so validation and targets are always right."""

from datetime import date

from assets.models import Asset, Meter
from fieldops.accounts.models import Membership
from workorders.maintenance import services
from workorders.maintenance.models import ConditionRule, MaintenancePlan


def make_plan(
    planner: Membership,
    asset: Asset | None = None,
    *,
    name: str = "Quarterly service",
    start_date: date = date(2025, 1, 31),
    interval_count: int | None = 1,
    interval_unit: str = "months",
    **fields,
) -> MaintenancePlan:
    spec = services.PlanSpec(
        name=name,
        asset_id=asset.public_id if asset else None,
        start_date=start_date,
        interval_count=interval_count,
        interval_unit=interval_unit,
        **fields,
    )
    return services.plan_create(membership=planner, spec=spec)


def make_rule(planner: Membership, meter: Meter, **fields) -> ConditionRule:
    fields.setdefault("name", "Bearing too hot")
    fields.setdefault("limit", 80.0)
    return services.rule_create(
        membership=planner, spec=services.RuleSpec(meter_id=meter.public_id, **fields)
    )


def finish(work_order, technician, dispatcher, *, to: str = "completed"):
    """Assign, start and complete (or cancel) a work order the way people do."""
    from tests.workorders.factories import assign, move
    from workorders.services import Resolution

    if to == "cancelled":
        return move(work_order, dispatcher, "cancelled", reason="Not needed")
    work_order = assign(work_order, technician, dispatcher)
    work_order = move(work_order, technician, "in_progress")
    return move(
        work_order, technician, "completed", resolution=Resolution(resolution_notes="Serviced.")
    )
