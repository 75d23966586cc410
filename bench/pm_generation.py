"""PM generation at size: one pass over 10,000 assets and 50,000 plans on PostgreSQL.

    .venv/bin/python bench/pm_generation.py [--plans 50000] [--due 200]

Drops and recreates the scratch database ``fo_bench_pm`` on BENCH_PG (default
postgres://postgres@127.0.0.1:5432), migrates, bulk-loads 10,000 assets (2,000 with a run-hours
meter, some replaced) and the plans: calendar (fixed and floating), meter-based, whichever-first,
and asset-type plans over location subtrees. ``--due`` of them come due today; the rest later.
Then it times generation passes and counts their queries, first at 10,000 plans, then at 50,000
(same number due), to show the scan's query count does not grow with the number of plans: only
the work orders actually opened cost queries of their own. Target: one pass under 10 s.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "fo_bench_pm"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"{BASE}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings_test")

import psycopg  # noqa: E402

N_ASSETS = 10_000
N_METERED = 2_000
N_REPLACED = 100
TYPES = ["pump", "motor", "fan", "compressor", "boiler", "chiller", "conveyor", "valve"]
NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 06:00 on Monday 2 March in Berlin
TODAY = date(2026, 3, 2)


def recreate_database() -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def load_registry():
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    from assets.models import Asset, Location, Meter, MeterReading
    from fieldops.accounts.models import Organization

    org = Organization.objects.create(name="Bench Org", slug="bench", time_zone="Europe/Berlin")
    other = Organization.objects.create(name="Other Org", slug="other")
    sites = Location.objects.bulk_create(
        Location(organization=org, code=f"S{i:02d}", name=f"Site {i}", kind="site")
        for i in range(20)
    )
    Location.objects.filter(organization=org).update(
        path=Concat(Value("/"), Cast("id", CharField()), Value("/"))
    )
    assets = Asset.objects.bulk_create(
        (
            Asset(
                organization=org,
                code=f"A{i:05d}",
                name=f"Asset {i}",
                asset_type=TYPES[i % len(TYPES)],
                location=sites[i % len(sites)],
            )
            for i in range(N_ASSETS)
        ),
        batch_size=5000,
    )
    Asset.objects.bulk_create(
        Asset(organization=other, code=f"O{i:04d}", name=f"Other {i}") for i in range(500)
    )
    Asset.objects.update(path=Concat(Value("/"), Cast("id", CharField()), Value("/")))
    meters = Meter.objects.bulk_create(
        (
            Meter(
                organization=org,
                asset=assets[i],
                name="Run hours",
                kind="cumulative",
                unit="h",
                last_value=1000.0 + i % 400,
                last_reading_at=NOW - timedelta(hours=1),
            )
            for i in range(N_METERED)
        ),
        batch_size=5000,
    )
    readings = []
    for meter in meters[:N_REPLACED]:  # swapped hour meters: old one at 900 h, new one from 0
        readings.append(
            MeterReading(
                organization=org,
                meter=meter,
                value=900.0,
                source="iot",
                taken_at=NOW - timedelta(days=20),
            )
        )
        readings.append(
            MeterReading(
                organization=org,
                meter=meter,
                value=0.0,
                source="iot",
                is_replacement=True,
                taken_at=NOW - timedelta(days=19),
            )
        )
    MeterReading.objects.bulk_create(readings)
    return org, sites, assets


def load_plans(org, sites, assets, *, count: int, due: int, offset: int) -> None:
    """``count`` plans, of which ``due`` come due today; the others later (calendar up to a
    year out, meter marks well above the current count)."""
    from workorders.maintenance.models import MaintenancePlan

    rng = random.Random(count)
    plans = []
    for i in range(count):
        n = offset + i
        is_due = i < due
        kind = i % 20
        fields = {
            "organization": org,
            "name": f"Plan {n:06d}",
            "asset": assets[n % N_ASSETS],
            "start_date": TODAY if is_due else TODAY + timedelta(days=rng.randint(8, 365)),
            "interval_count": 1,
            "interval_unit": "months",
            "lead_days": 3,
            "required_skill": ("mechanical", "electrical", "hvac")[n % 3],
            "estimated_minutes": 60,
            "checklist": [{"label": "Inspect"}, {"label": "Lubricate"}],
        }
        if kind in (0, 1):  # floating calendar
            fields["mode"] = "floating"
        elif kind in (2, 3, 4):  # meter-based on a metered asset
            fields.update(
                trigger="meter",
                mode="floating" if is_due else "fixed",  # last service at 0 h: overdue now
                interval_count=None,
                meter_name="Run hours",
                meter_interval=500,
                meter_start=0.0 if is_due else 1400.0,
                asset=assets[n % N_METERED],
            )
        elif kind == 5:  # whichever first
            fields.update(
                trigger="both",
                meter_name="Run hours",
                meter_interval=750,
                meter_start=1400.0,
                asset=assets[n % N_METERED],
            )
        elif kind == 6 and i % 1000 == 6 and not is_due:  # a few asset-type plans, by site
            fields.update(
                scope="asset_type",
                asset=None,
                asset_type=TYPES[n % len(TYPES)],
                location=sites[n % len(sites)],
                start_date=TODAY + timedelta(days=rng.randint(8, 365)),
            )
        plans.append(MaintenancePlan(**fields))
    MaintenancePlan.objects.bulk_create(plans, batch_size=5000)
    # Each plan's schedule, as plan_create builds it (here in bulk, through the same code).
    from workorders.maintenance.services.generation import _add_missing_targets

    _add_missing_targets(NOW, None)


def timed_pass(label: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workorders.maintenance.services import plans_generate_due

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = plans_generate_due(now=NOW)
        elapsed = time.perf_counter() - started
    print(
        f"{label:<44} {elapsed:7.2f} s  {len(queries):6d} queries  "
        f"{report.targets:5d} candidates  {report.opened:4d} opened  {report.skipped:3d} skipped"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=50_000)
    parser.add_argument("--due", type=int, default=200)
    args = parser.parse_args()
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    import logging

    logging.getLogger("fieldops.maintenance").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    org, sites, assets = load_registry()
    small = min(10_000, args.plans)
    load_plans(org, sites, assets, count=small, due=args.due, offset=0)
    print(
        f"loaded {N_ASSETS:,} assets and {small:,} plans with their schedules in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    print(f"PostgreSQL {connection.pg_version}, due today per size: {args.due}")
    timed_pass(f"{small:,} plans: generation pass")
    timed_pass(f"{small:,} plans: the same pass again (nothing due)")
    from workorders.maintenance.models import MaintenancePlan

    # The same number due again among the new plans, nothing else due: only size changes.
    MaintenancePlan.objects.update(is_active=False)
    t0 = time.perf_counter()
    load_plans(org, sites, assets, count=args.plans, due=args.due, offset=small)
    print(f"loaded {args.plans:,} plans with their schedules in {time.perf_counter() - t0:.1f} s")
    timed_pass(f"{args.plans:,} plans: generation pass")
    timed_pass(f"{args.plans:,} plans: the same pass again (nothing due)")


if __name__ == "__main__":
    main()
