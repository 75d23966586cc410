"""Demo maintenance for Northwind: calendar, meter and whichever-first plans on the demo assets,
condition rules on two gauges, and one generation pass so the first PM work is already open."""

from datetime import timedelta

from django.utils import timezone

from assets.models import Asset, Location, Meter
from workorders.maintenance import services
from workorders.maintenance.models import ConditionRule, MaintenancePlan
from workorders.maintenance.schedule import local_today

SEAL_CHECK = [
    {"label": "Isolate and lock out"},
    {"label": "Seal area dry, no drips"},
    {"label": "Bearing temperature", "kind": "value", "unit": "°C", "max_value": 70},
    {"label": "Vibration", "kind": "value", "unit": "mm/s", "max_value": 4.5},
]


def _plans(today, assets, locations):
    return [
        {
            "name": "Steam boiler annual inspection",
            "asset_id": assets["BLR-001"],
            "start_date": today + timedelta(days=24),
            "interval_count": 12,
            "lead_days": 30,
            "priority": "p2",
            "required_skill": "boiler",
            "estimated_minutes": 480,
            "checklist": [
                {"label": "Safety valves tested"},
                {"label": "Water-side inspected, scale noted", "kind": "text"},
                {"label": "Flue gas O₂", "kind": "value", "unit": "%", "max_value": 6},
            ],
        },
        {
            "name": "Feed pumps monthly check",
            "scope": "asset_type",
            "asset_type": "pump",
            "location_id": locations["BER"],
            "start_date": today.replace(day=1) + timedelta(days=32 - today.replace(day=1).day),
            "interval_count": 1,
            "lead_days": 5,
            "required_skill": "mechanical",
            "estimated_minutes": 60,
            "checklist": SEAL_CHECK,
        },
        {
            "name": "Compressor service every 500 h",
            "asset_id": assets["CMP-201"],
            "trigger": "meter",
            "mode": "floating",
            "meter_name": "Run hours",
            "meter_interval": 500,
            "meter_start": 10_000,
            "meter_lead": 40,
            "interval_count": None,
            "start_date": today,
            "required_skill": "mechanical",
            "estimated_minutes": 120,
            "checklist": [{"label": "Oil and filter changed"}, {"label": "Belt tension"}],
        },
        {
            "name": "Forklift weekly safety check",
            "asset_id": assets["FLT-401"],
            "mode": "floating",
            "interval_count": 1,
            "interval_unit": "weeks",
            "start_date": today,
            "lead_days": 1,
            "priority": "p4",
            "required_skill": "inspection",
            "estimated_minutes": 20,
            "checklist": [{"label": "Horn and lights"}, {"label": "Forks and chains"}],
        },
        {
            "name": "Generator test run (monthly or 50 h)",
            "asset_id": assets["GEN-403"],
            "trigger": "both",
            "interval_count": 1,
            "start_date": today + timedelta(days=9),
            "lead_days": 3,
            "meter_name": "Run hours",
            "meter_interval": 50,
            "required_skill": "electrical",
            "estimated_minutes": 90,
        },
        {
            "name": "Service van: 15,000 km or 12 months",
            "asset_id": assets["TRK-402"],
            "trigger": "both",
            "mode": "floating",
            "interval_count": 12,
            "start_date": today + timedelta(days=120),
            "lead_days": 14,
            "meter_name": "Odometer",
            "meter_interval": 15_000,
            "meter_start": 45_000,
            "meter_lead": 500,
            "required_skill": "vehicle",
            "estimated_minutes": 240,
        },
    ]


def _rules(meters):
    return [
        {
            "name": "Feed pump A bearing too hot",
            "meter_id": meters[("PMP-101", "Bearing temperature")],
            "kind": "threshold",
            "limit": 70,
            "clear_value": 65,
            "min_duration_minutes": 30,
            "required_skill": "mechanical",
            "estimated_minutes": 60,
        },
        {
            "name": "Feed pump A vibration high",
            "meter_id": meters[("PMP-101", "Vibration")],
            "kind": "threshold",
            "limit": 2.9,
            "clear_value": 2.5,
            "required_skill": "mechanical",
            "estimated_minutes": 90,
        },
        {
            "name": "Chiller water trending warm",
            "meter_id": meters[("CHL-301", "Leaving water temperature")],
            "kind": "projection",
            "limit": 12,
            "sample_size": 10,
            "horizon_days": 7,
            "priority": "p3",
            "required_skill": "hvac",
        },
    ]


def seed(context) -> None:
    org, admin = context.organization, context.members["admin"]
    assets = dict(Asset.objects.filter(organization=org).values_list("code", "public_id"))
    locations = dict(Location.objects.filter(organization=org).values_list("code", "public_id"))
    meters = {
        (code, name): public_id
        for code, name, public_id in Meter.objects.filter(organization=org).values_list(
            "asset__code", "name", "public_id"
        )
    }
    today = local_today(timezone.now(), org.time_zone)
    existing = set(MaintenancePlan.objects.filter(organization=org).values_list("name", flat=True))
    for fields in _plans(today, assets, locations):
        if fields["name"] in existing:
            continue
        services.plan_create(membership=admin, spec=services.PlanSpec(**fields))
        context.count("maintenance plans", True)
    existing = set(ConditionRule.objects.filter(organization=org).values_list("name", flat=True))
    for fields in _rules(meters):
        if fields["name"] in existing:
            continue
        rule = services.rule_create(membership=admin, spec=services.RuleSpec(**fields))
        services.rule_evaluate(rule_id=rule.pk)  # the demo history counts
        context.count("condition rules", True)
    report = services.plans_generate_due(organization_id=org.pk)
    if report.opened:
        context.created["PM work orders"] = context.created.get("PM work orders", 0) + report.opened
