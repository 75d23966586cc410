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

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "fo_bench_dashboard"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"{BASE}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings_test")
os.environ["API_RATE_PER_MINUTE"] = "100000000"

import psycopg  # noqa: E402

N_WORK_ORDERS = 100_000
N_OTHER_ORG = 20_000  # a second tenant, so every query has to filter by organisation
N_ASSETS = 10_000
N_TECHNICIANS = 60
N_CREWS = 6
N_FAILING_ASSETS = 3_000  # assets with a status history (down / operating) over the two years
NOW = datetime.now(UTC).replace(microsecond=0)
SPAN = timedelta(days=730)
# Most work is long finished; the open backlog is what dispatchers page through.
STATUS_WEIGHTS = {
    "closed": 52,
    "completed": 12,
    "cancelled": 5,
    "new": 9,
    "assigned": 8,
    "dispatched": 4,
    "en_route": 1,
    "in_progress": 6,
    "on_hold": 3,
}
PRIORITY_WEIGHTS = {"p1": 5, "p2": 20, "p3": 50, "p4": 25}
TYPE_WEIGHTS = {
    "corrective": 45,
    "preventive": 35,
    "inspection": 12,
    "predictive": 5,
    "emergency": 3,
}
RESOLUTION_MINUTES = {"p1": 8 * 60, "p2": 24 * 60, "p3": 3 * 24 * 60, "p4": 10 * 24 * 60}
TITLES = [
    "Pump leaking at the seal",
    "Fan belt squeals",
    "No heat in hall B",
    "Quarterly inspection",
    "Compressor trips on overload",
    "Door sensor faulty",
    "Replace filters",
    "Vibration above limit",
]


def ensure_database(reload: bool) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and reload:
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load() -> None:
    from django.db import connection

    from fieldops.accounts.models import Organization, Role
    from fieldops.accounts.services import member_add
    from workorders.models import WorkOrderSequence

    t0 = time.perf_counter()
    org = Organization.objects.create(name="Bench Org", slug="bench")
    other = Organization.objects.create(name="Other Org", slug="other")
    member_add(organization=org, username="bench", role=Role.SUPERVISOR, password="bench-pass-123")
    technicians = [
        member_add(
            organization=org, username=f"tech{i}", role=Role.TECHNICIAN, password="bench-pass-123"
        ).pk
        for i in range(N_TECHNICIANS)
    ]
    rival = member_add(
        organization=other, username="rival", role=Role.DISPATCHER, password="bench-pass-123"
    )
    rng = random.Random(42)
    now = NOW.isoformat()
    with connection.cursor() as cursor:
        raw = cursor.connection
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY assets_asset (created_at, updated_at, organization_id, public_id, code, "
                "name, asset_type, criticality, status, path, depth, serial_number, "
                "manufacturer, model, search_text, version) FROM STDIN"
            ) as copy,
        ):
            for i in range(N_ASSETS):
                code, name = f"AS-{i:05d}", f"Pump {i}"
                search = f"{code} {name}".lower()
                copy.write_row(
                    (
                        now,
                        now,
                        org.pk,
                        uuid.uuid4(),
                        code,
                        name,
                        "pump",
                        "medium",
                        "operating",
                        "",
                        0,
                        "",
                        "",
                        "",
                        search,
                        1,
                    )
                )
        cursor.execute("UPDATE assets_asset SET path = '/' || id || '/'")
        cursor.execute("SELECT id FROM assets_asset ORDER BY id")
        assets = [row[0] for row in cursor.fetchall()]
        columns = (
            "created_at, updated_at, organization_id, public_id, number, title, description, "
            "work_type, priority, status, asset_id, source, response_due_at, onsite_due_at, "
            "due_at, responded_at, started_at, completed_at, closed_at, resolution_notes, "
            "failure_code, cause, remedy, required_skill, version, scheduled_start, "
            "scheduled_end, estimated_minutes"
        )
        assigned_to: list[int | None] = []
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY workorders_workorder ({columns}) FROM STDIN") as copy,
        ):
            for owner, count in ((org.pk, N_WORK_ORDERS), (other.pk, N_OTHER_ORG)):
                for number in range(1, count + 1):
                    # Numbers follow creation time, as they do for real.
                    created = NOW - SPAN + SPAN * (number / count) - timedelta(minutes=1)
                    status = pick(rng, STATUS_WEIGHTS)
                    priority = pick(rng, PRIORITY_WEIGHTS)
                    resolve = timedelta(minutes=RESOLUTION_MINUTES[priority])
                    done = status in ("completed", "closed")
                    started = status in ("in_progress", "on_hold") or done
                    finished = created + resolve * rng.uniform(0.2, 1.6)
                    copy.write_row(
                        (
                            created,
                            finished if done else created,
                            owner,
                            uuid.uuid4(),
                            number,
                            rng.choice(TITLES),
                            "",
                            pick(rng, TYPE_WEIGHTS),
                            priority,
                            status,
                            rng.choice(assets) if owner == org.pk else None,
                            "web",
                            created + resolve / 8,
                            created + resolve / 3,
                            created + resolve,
                            created + resolve / 10 if status != "new" else None,
                            created + resolve / 4 if started else None,
                            finished if done else None,
                            finished + timedelta(days=1) if status == "closed" else None,
                            "Done" if done else "",
                            "",
                            "",
                            "",
                            "",
                            3 if status != "new" else 1,
                            created + resolve / 4 if rng.random() < 0.4 else None,
                            created + resolve / 2 if rng.random() < 0.4 else None,
                            rng.choice((None, 30, 60, 90, 120, 240, 480)),
                        )
                    )
                    if owner == org.pk:
                        unassigned = status == "new" or (
                            status == "cancelled" and rng.random() < 0.5
                        )
                        assigned_to.append(None if unassigned else rng.choice(technicians))
        cursor.execute(
            "SELECT id FROM workorders_workorder WHERE organization_id = %s ORDER BY number",
            [org.pk],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY workorders_workorderassignment (work_order_id, membership_id, assigned_at) "
                "FROM STDIN"
            ) as copy,
        ):
            for work_order_id, membership_id in zip(ids, assigned_to, strict=True):
                if membership_id is not None:
                    copy.write_row((work_order_id, membership_id, now))
        cursor.execute(
            "INSERT INTO workorders_workorderhistory (work_order_id, kind, from_status, "
            "to_status, actor_id, source, occurred_at, recorded_at, details) "
            "SELECT id, 'created', '', 'new', NULL, 'web', created_at, created_at, '{}' "
            "FROM workorders_workorder"
        )
        _people_and_history(cursor, raw, org, technicians, assets, ids, rng)
        cursor.execute("ANALYZE")
    WorkOrderSequence.objects.create(organization=org, last_number=N_WORK_ORDERS)
    WorkOrderSequence.objects.create(organization=other, last_number=N_OTHER_ORG)
    assert rival.organization_id == other.pk
    print(f"loaded in {time.perf_counter() - t0:.0f} s", flush=True)


def timed_get(client, url: str, n: int) -> list[float]:
    for _ in range(10):
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
    samples = []
    for _ in range(n):
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
        assert response.status_code == 200
    return samples


def report(label: str, samples: list[tuple[float, float]], target: float | None = 50) -> None:
    """Wall-clock latency (what a caller waits; the target applies to it), and this process's
    CPU time per request (Django + ninja + serialisation), which a busy machine inflates less."""

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[max(0, int(len(ordered) * 0.95) - 1)]

    wall, cpu = [w for w, _ in samples], [c for _, c in samples]
    verdict = "" if target is None else (", ok" if p95(wall) < target else ", OVER TARGET")
    print(
        f"{label:<58} median {statistics.median(wall):6.1f} ms  p95 {p95(wall):6.1f} ms  "
        f"(cpu median {statistics.median(cpu):5.1f}, p95 {p95(cpu):5.1f}; "
        f"{len(samples)} requests{verdict})",
        flush=True,
    )


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
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    parser = argparse.ArgumentParser()
    parser.add_argument("--reload", action="store_true", help="drop and reload the database")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    ensure_database(args.reload)

    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.test import Client

    from assets.models import Asset, AssetStatusChange
    from fieldops.accounts.models import Membership, Organization
    from fieldops.accounts.services import api_token_create
    from workorders.models import TimeEntry, WorkOrder

    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(slug="bench").exists():
        load()
    org = Organization.objects.get(slug="bench")
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
