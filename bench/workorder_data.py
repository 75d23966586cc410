"""What the work-order benchmarks share: the scratch database, the 100,000-work-order data set
(loaded with COPY) and the latency report. Imported by the scripts beside it."""

import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg

N_OTHER_ORG = 20_000  # a second tenant, so every query has to filter by organisation
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


def ensure_database(base: str, db_name: str, reload: bool) -> None:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
        if exists and reload:
            conn.execute(f'DROP DATABASE "{db_name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{db_name}"')


def bench_start(
    *,
    base: str,
    db_name: str,
    default_requests: int,
    n_work_orders: int,
    n_assets: int,
    n_technicians: int,
    role: str,
    with_schedule: bool,
    extra=None,
):
    """What a one-request-at-a-time bench does first: parse ``--reload``/``--requests``, make
    the database, set Django up, migrate and load the data set once. Returns (args, org)."""
    import argparse
    import logging
    import os

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    parser = argparse.ArgumentParser()
    parser.add_argument("--reload", action="store_true", help="drop and reload the database")
    parser.add_argument("--requests", type=int, default=default_requests)
    args = parser.parse_args()
    ensure_database(base, db_name, args.reload)

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command

    from fieldops.accounts.models import Organization

    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(slug="bench").exists():
        load(
            n_work_orders=n_work_orders,
            n_assets=n_assets,
            n_technicians=n_technicians,
            role=role,
            with_schedule=with_schedule,
            extra=extra,
        )
    return args, Organization.objects.get(slug="bench")


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load(
    *,
    n_work_orders: int,
    n_assets: int,
    n_technicians: int,
    role: str,
    with_schedule: bool,
    extra: Callable[..., None] | None = None,
) -> None:
    """Two tenants' work orders over two years (COPY), assets, technicians and assignments, a
    creation history row each; ``with_schedule`` adds planned windows and estimates; ``extra``
    loads what one bench needs beyond that (it gets cursor, raw, org, technicians, assets, ids,
    rng)."""
    from django.db import connection

    from fieldops.accounts.models import Organization, Role
    from fieldops.accounts.services import member_add
    from workorders.models import WorkOrderSequence

    t0 = time.perf_counter()
    org = Organization.objects.create(name="Bench Org", slug="bench")
    other = Organization.objects.create(name="Other Org", slug="other")
    member_add(organization=org, username="bench", role=role, password="bench-pass-123")
    technicians = [
        member_add(
            organization=org, username=f"tech{i}", role=Role.TECHNICIAN, password="bench-pass-123"
        ).pk
        for i in range(n_technicians)
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
            for i in range(n_assets):
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
            "failure_code, cause, remedy, required_skill, version"
        ) + (", scheduled_start, scheduled_end, estimated_minutes" if with_schedule else "")
        assigned_to: list[int | None] = []
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY workorders_workorder ({columns}) FROM STDIN") as copy,
        ):
            for owner, count in ((org.pk, n_work_orders), (other.pk, N_OTHER_ORG)):
                for number in range(1, count + 1):
                    # Numbers follow creation time, as they do for real.
                    created = NOW - SPAN + SPAN * (number / count) - timedelta(minutes=1)
                    status = pick(rng, STATUS_WEIGHTS)
                    priority = pick(rng, PRIORITY_WEIGHTS)
                    resolve = timedelta(minutes=RESOLUTION_MINUTES[priority])
                    done = status in ("completed", "closed")
                    started = status in ("in_progress", "on_hold") or done
                    finished = created + resolve * rng.uniform(0.2, 1.6)
                    row = [
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
                    ]
                    if with_schedule:
                        row += [
                            created + resolve / 4 if rng.random() < 0.4 else None,
                            created + resolve / 2 if rng.random() < 0.4 else None,
                            rng.choice((None, 30, 60, 90, 120, 240, 480)),
                        ]
                    copy.write_row(row)
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
        if extra is not None:
            extra(cursor, raw, org, technicians, assets, ids, rng)
        cursor.execute("ANALYZE")
    WorkOrderSequence.objects.create(organization=org, last_number=n_work_orders)
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
