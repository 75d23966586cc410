"""Supervisor dashboard latency at size: 100,000 work orders and 10,000 assets in PostgreSQL.

    .venv/bin/python bench/dashboard.py [--reload] [--requests 100]

Creates (once) the scratch database ``fo_bench_dashboard`` on BENCH_PG (default
postgres://postgres@127.0.0.1:5432), migrates it, loads it with COPY (100,000 work orders over two
years with SLA, schedule and estimate fields; 10,000 assets with status histories; technicians in
crews with weekly shifts and their time entries; a second tenant), then times GET /dashboard/ (the
whole page: every figure, three charts, their tables) and GET /api/v1/kpis in-process through the
whole Django stack, and prints median and p95 with the number of queries per request.
Target: p95 under 300 ms.
"""

import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "fo_bench_dashboard"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"{BASE}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings_test")
os.environ["API_RATE_PER_MINUTE"] = "100000000"

from workorder_data import (  # noqa: E402 - the module beside this script
    NOW,
    SPAN,
    bench_start,
    report,
    timed_get,
)

N_WORK_ORDERS = 100_000
N_ASSETS = 10_000
N_TECHNICIANS = 60
N_CREWS = 6
N_FAILING_ASSETS = 3_000  # assets with a status history (down / operating) over the two years


def _people_and_history(cursor, raw, org, technicians, assets, ids, rng) -> None:
    """Crews and weekly shifts (Mon-Fri 07:00-15:30), 90 days of time entries on recent work,
    and down/operating histories of some assets."""
    from workorders.dispatch.models import Crew, Shift, TechnicianProfile

    crews = [Crew.objects.create(organization=org, name=f"Crew {i}") for i in range(N_CREWS)]
    shifts = []
    for index, membership_id in enumerate(technicians):
        profile = TechnicianProfile.objects.create(
            organization=org, membership_id=membership_id, crew=crews[index % N_CREWS]
        )
        shifts += [
            Shift(profile=profile, weekday=day, starts="07:00", ends="15:30") for day in range(5)
        ]
    Shift.objects.bulk_create(shifts)
    recent = ids[-8000:]
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY workorders_timeentry (created_at, updated_at, organization_id, public_id, "
            "occurred_at, work_order_id, technician_id, kind, started_at, ended_at, minutes) "
            "FROM STDIN"
        ) as copy,
    ):
        for day in range(90):
            for membership_id in technicians:
                at = (NOW - timedelta(days=day)).replace(hour=7, minute=0, second=0)
                for kind, minutes in (
                    ("travel", 40),
                    ("work", 180),
                    ("waiting", 20),
                    ("work", 120),
                ):
                    end = at + timedelta(minutes=minutes)
                    copy.write_row(
                        (at, at, org.pk, uuid.uuid4(), at, rng.choice(recent), membership_id, kind,
                         at, end, minutes)
                    )  # fmt: skip
                    at = end
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY assets_assetstatuschange (created_at, updated_at, organization_id, asset_id, "
            "from_status, to_status, changed_at, reason) FROM STDIN"
        ) as copy,
    ):
        for asset_id in rng.sample(assets, N_FAILING_ASSETS):
            at = NOW - SPAN
            copy.write_row((at, at, org.pk, asset_id, "", "operating", at, ""))
            while True:
                at += timedelta(hours=rng.uniform(24 * 20, 24 * 200))
                back = at + timedelta(hours=rng.uniform(1, 72))
                if back > NOW:
                    break
                copy.write_row((at, at, org.pk, asset_id, "operating", "down", at, ""))
                copy.write_row((back, back, org.pk, asset_id, "down", "operating", back, ""))
                at = back


def timed(client, url: str, n: int) -> tuple[list[tuple[float, float]], int]:
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    client.get(url)  # the session and the organisation's settings, as on any later request
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return timed_get(client, url, n), count


def main() -> None:
    args, org = bench_start(
        base=BASE,
        db_name=DB_NAME,
        default_requests=100,
        n_work_orders=N_WORK_ORDERS,
        n_assets=N_ASSETS,
        n_technicians=N_TECHNICIANS,
        role="supervisor",
        with_schedule=True,
        extra=_people_and_history,
    )
    from django.test import Client

    from assets.models import Asset, AssetStatusChange
    from fieldops.accounts.models import Membership
    from fieldops.accounts.services import api_token_create
    from workorders.models import TimeEntry, WorkOrder

    print(
        f"data: {WorkOrder.objects.filter(organization=org).count():,} work orders "
        f"(+{WorkOrder.objects.exclude(organization=org).count():,} in another organisation), "
        f"{Asset.objects.filter(organization=org).count():,} assets, "
        f"{AssetStatusChange.objects.filter(organization=org).count():,} asset status changes, "
        f"{TimeEntry.objects.filter(organization=org).count():,} time entries"
    )
    membership = Membership.objects.get(organization=org, user__username="bench")
    page = Client()
    page.force_login(membership.user)
    token = api_token_create(membership=membership, name="bench").secret
    api = Client(headers={"Authorization": f"Bearer {token}"})
    n = args.requests
    year_start = (NOW - timedelta(days=364)).date().isoformat()
    for label, client, url in (
        ("GET /dashboard/ (last 30 days)", page, "/dashboard/"),
        ("GET /dashboard/ (htmx live refresh)", page, "/dashboard/"),
        ("GET /dashboard/?start=<365 days ago>", page, f"/dashboard/?start={year_start}"),
        ("GET /api/v1/kpis (last 30 days)", api, "/api/v1/kpis"),
    ):
        if "htmx" in label:
            client = Client(headers={"HX-Request": "true"})
            client.force_login(membership.user)
        samples, queries = timed(client, url, n)
        report(f"{label}, {queries} queries", samples, target=300)


if __name__ == "__main__":
    main()
