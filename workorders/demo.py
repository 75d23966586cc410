"""Demo work: parts, and work orders across the lifecycle for the demo technicians."""

from datetime import timedelta

from django.utils import timezone

from assets.models import Asset
from workorders import services
from workorders.lifecycle import Status, route
from workorders.models import Part, WorkOrder

PARTS = [
    ("SEAL-40", "Mechanical seal 40 mm"),
    ("FILT-AIR", "Air filter element"),
    ("BELT-V13", "V-belt 13 x 1250"),
    ("OIL-5L", "Compressor oil 5 l"),
    ("FUSE-16", "Fuse 16 A gG"),
]
CHECK_PUMP = [
    services.ChecklistItemSpec("Isolate and lock out"),
    services.ChecklistItemSpec("Seal area dry, no drips"),
    services.ChecklistItemSpec(
        "Discharge pressure", kind="value", unit="bar", min_value=3, max_value=6
    ),
    services.ChecklistItemSpec("Photo of the seal", requires_photo=True, required=False),
]
# title, asset, priority, type, who, final state, hours from now (planned start)
JOBS = [
    ("Feed pump A leaking at the seal", "PMP-101", "p1", "corrective", "tech1", "in_progress", -1),
    ("Compressor quarterly service", "CMP-201", "p3", "preventive", "tech1", "assigned", 2),
    ("Infeed conveyor belt slipping", "CNV-201", "p2", "corrective", "tech1", "dispatched", 4),
    ("Chiller high-pressure alarm", "CHL-301", "p1", "emergency", "tech2", "en_route", 0),
    ("AHU filter change", "AHU-301", "p4", "preventive", "tech2", "assigned", 30),
    ("Generator monthly test run", "GEN-403", "p3", "inspection", "tech3", "on_hold", -3),
    ("Forklift horn not working", "FLT-401", "p4", "corrective", None, "new", None),
    ("Boiler burner flame unstable", "BLR-001", "p2", "corrective", None, "new", None),
    ("Van service due", "TRK-402", "p3", "preventive", None, "new", None),
]


def seed(context) -> None:
    org = context.organization
    dispatcher, members = context.members["dispatcher"], context.members
    for code, name in PARTS:
        _, created = Part.objects.get_or_create(
            organization=org, code=code, defaults={"name": name}
        )
        context.count("parts", created)
    assets = {a.code: a for a in Asset.objects.filter(organization=org)}
    existing = set(WorkOrder.objects.filter(organization=org).values_list("title", flat=True))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for title, asset_code, priority, work_type, who, state, hours in JOBS:
        if title in existing:
            continue
        asset = assets.get(asset_code)
        spec = services.WorkOrderSpec(
            title=title,
            priority=priority,
            work_type=work_type,
            asset_id=asset.public_id if asset else None,
            scheduled_start=now + timedelta(hours=hours) if hours is not None else None,
            scheduled_end=now + timedelta(hours=hours + 2) if hours is not None else None,
            checklist=CHECK_PUMP if asset_code == "PMP-101" else [],
            description="Reported by the shift lead." if work_type == "corrective" else "",
        )
        work_order, _ = services.work_order_create(
            membership=dispatcher, organization_id=org.pk, spec=spec
        )
        context.count("work orders", True)
        if who is None:
            continue
        technician = members[who]
        work_order = services.work_order_assign(
            membership=dispatcher,
            work_order=work_order,
            technician_ids=[technician.public_id],
            expected_version=None,
        )
        for step in route(work_order.status, state):
            actor = dispatcher if step == Status.DISPATCHED else technician
            work_order = services.work_order_transition(
                membership=actor,
                work_order=work_order,
                to_status=step,
                expected_version=None,
            )
