"""How long the server takes to apply 1,000 queued offline mutations (target: under 2 s).

    .venv/bin/python bench/sync_push.py [--rounds 5]

Creates a scratch PostgreSQL database (``fo_bench_sync`` on BENCH_PG, default
postgres://postgres@127.0.0.1:5432), migrates it, and for each round pushes one batch of 1,000
mutations — the mix a day offline produces: notes, checklist answers, time entries, parts and
status changes across 50 jobs — through the whole stack (bearer auth, ninja, the sync service)
with the test client, under production settings (Redis broker and channel layer in
``BENCH_REDIS``, default db 8, flushed at the end). Prints the time per batch, per mutation,
and the query count; then replays the same batch to time the duplicate path. One untimed push
first (``--warmup``) pays the one-off costs of a fresh process (URL conf, imports). The work the
push hands to the Celery worker (webhooks, flows, ERP outbox, maintenance: one task per push)
is queued, not run — it is the worker's share, not the request's.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "fo_bench_sync"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/8")
# Production settings, as a deployment runs them: PostgreSQL, the Redis broker and channel
# layer, and tasks queued (not run inline) — the worker's share of the work is not the push's.
os.environ.update(
    DATABASE_URL=f"{BASE}/{DB_NAME}",
    REDIS_URL=REDIS,
    DJANGO_SETTINGS_MODULE="fieldops.settings",
    SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    ALLOWED_HOSTS="testserver",
    SECURE_SSL_REDIRECT="0",
    SECURE_COOKIES="0",
    API_RATE_PER_MINUTE="100000000",
    LOG_LEVEL="WARNING",
)

import psycopg  # noqa: E402


def fresh_database() -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    fresh_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from fieldops.accounts.models import Role
    from fieldops.accounts.services import api_token_create, member_add, organization_create
    from workorders import services
    from workorders.models import Part

    org = organization_create(name="Bench", slug="bench")
    dispatcher = member_add(organization=org, username="disp", role=Role.DISPATCHER)
    technician = member_add(organization=org, username="tech", role=Role.TECHNICIAN)
    part = Part.objects.create(organization=org, code="P-1", name="Part")
    token = api_token_create(membership=technician, name="bench").secret
    client = Client(headers={"Authorization": f"Bearer {token}"})

    def make_jobs(count: int) -> list:
        jobs = []
        for n in range(count):
            spec = services.WorkOrderSpec(
                title=f"Job {n}",
                work_type="inspection",
                checklist=[services.ChecklistItemSpec(f"Check {i}") for i in range(4)],
            )
            job, _ = services.work_order_create(
                membership=dispatcher, organization_id=org.pk, spec=spec
            )
            services.work_order_assign(
                membership=dispatcher,
                work_order=job,
                technician_ids=[technician.public_id],
                expected_version=None,
            )
            jobs.append(job)
        return jobs

    def batch_for(jobs: list) -> list[dict]:
        now = datetime.now(UTC)
        out = []

        def add(mutation_kind, job, **data):
            out.append(
                {
                    "id": str(uuid.uuid4()),
                    "kind": mutation_kind,
                    "work_order": str(job.public_id),
                    "occurred_at": (now - timedelta(minutes=30)).isoformat(),
                    "data": data,
                }
            )

        for job in jobs:  # 50 jobs x 20 mutations = 1,000
            add("workorder.transition", job, to="in_progress", from_status="assigned")
            for item in job.checklist.all():
                add(
                    "checklist.answer",
                    job,
                    id=str(uuid.uuid4()),
                    item_id=str(item.public_id),
                    result="pass",
                )
            for n in range(8):
                add("note.add", job, id=str(uuid.uuid4()), text=f"Observation {n}")
            for _ in range(3):
                add(
                    "time_entry.add",
                    job,
                    id=str(uuid.uuid4()),
                    kind="work",
                    started_at=(now - timedelta(hours=2)).isoformat(),
                    minutes=20,
                )
            for _ in range(3):
                add(
                    "part.use", job, id=str(uuid.uuid4()), part_id=str(part.public_id), quantity="1"
                )
            add(
                "workorder.transition",
                job,
                to="completed",
                from_status="in_progress",
                resolution_notes="Done",
            )
        return out

    import cProfile
    import pstats

    for _ in range(args.warmup):
        client.post(
            "/api/v1/sync/push",
            {"device_id": "bench", "mutations": batch_for(make_jobs(50))},
            content_type="application/json",
        )

    timings, duplicate_timings = [], []
    for round_number in range(args.rounds):
        batch = batch_for(make_jobs(50))
        assert len(batch) == 1000
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            response = client.post(
                "/api/v1/sync/push",
                {"device_id": "bench", "mutations": batch},
                content_type="application/json",
            )
            elapsed = time.perf_counter() - started
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        results = response.json()["results"]
        statuses = {r["status"] for r in results}
        assert statuses == {"applied"}, statuses
        timings.append(elapsed)
        started = time.perf_counter()
        again = client.post(
            "/api/v1/sync/push",
            {"device_id": "bench", "mutations": batch},
            content_type="application/json",
        ).json()["results"]
        duplicate_timings.append(time.perf_counter() - started)
        assert {r["status"] for r in again} == {"duplicate"}
        print(
            f"round {round_number + 1}: 1,000 mutations applied in {elapsed:.2f} s "
            f"({elapsed * 1000 / len(batch):.2f} ms each, {len(queries)} queries); "
            f"replay (all duplicate) {duplicate_timings[-1]:.2f} s; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    print()
    p95 = (
        statistics.quantiles(timings, n=20, method="inclusive")[18]
        if len(timings) > 1
        else timings[0]
    )
    print(
        f"apply 1,000 mutations: median {statistics.median(timings):.2f} s, "
        f"p95 {p95:.2f} s, worst {max(timings):.2f} s (target: under 2 s)"
    )
    print(f"replay 1,000 duplicates: median {statistics.median(duplicate_timings):.2f} s")
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # the queued tasks nobody will run


if __name__ == "__main__":
    main()
