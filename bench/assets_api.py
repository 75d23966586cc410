"""Asset API latency at size: 50,000 assets and 1,000,000 readings in PostgreSQL.

    .venv/bin/python bench/assets_api.py [--reload] [--requests 300]

Creates (once) the scratch database ``fo_bench_assets`` on BENCH_PG (default
postgres://postgres@127.0.0.1:5432), loads it with COPY, then times requests through the whole
Django stack (middleware, bearer-token auth, ninja, serialisation) and prints median and p95 of:
the filtered asset list, and one asset's reading chart data. Target: p95 under 50 ms.
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
DB_NAME = "fo_bench_assets"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = f"{BASE}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings_test")
os.environ["API_RATE_PER_MINUTE"] = "100000000"

import psycopg  # noqa: E402

N_ASSETS = 50_000
N_READINGS = 1_000_000
CHART_READINGS = 20_000  # the benchmarked meter: every 30 minutes for ~14 months
METERED_ASSETS = 20_000
SITES, BUILDINGS, AREAS = 20, 5, 5
TYPES = [
    "pump",
    "motor",
    "fan",
    "compressor",
    "boiler",
    "chiller",
    "conveyor",
    "valve",
    "hvac",
    "vehicle",
]
CRITS = ["low", "medium", "medium", "high", "critical"]
STATUSES = ["operating"] * 8 + ["down", "retired"]
NOW = datetime.now(UTC).replace(microsecond=0)


def ensure_database(reload: bool) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and reload:
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def load() -> None:
    from django.db import connection

    from assets.models import Location
    from fieldops.accounts.models import Membership, Organization, Role
    from fieldops.accounts.services import member_add

    org = Organization.objects.create(name="Bench Org", slug="bench")
    member_add(organization=org, username="bench", role=Role.DISPATCHER, password="bench-pass-123")
    # A second tenant with its own rows, so every query has to filter by organisation.
    other = Organization.objects.create(name="Other Org", slug="other")
    t0 = time.perf_counter()

    def place(code: str, name: str, kind: str, parent: Location | None) -> Location:
        loc = Location.objects.create(
            organization=org,
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            depth=parent.depth + 1 if parent else 0,
        )
        loc.path = f"{parent.path if parent else '/'}{loc.pk}/"
        loc.save(update_fields=["path"])
        return loc

    areas = []
    sites = []
    for s in range(SITES):
        site = place(f"S{s:02d}", f"Site {s}", "site", None)
        sites.append(site)
        for b in range(BUILDINGS):
            building = place(f"S{s:02d}-B{b}", f"Building {b}", "building", site)
            for a in range(AREAS):
                areas.append(place(f"S{s:02d}-B{b}-A{a}", f"Area {a}", "area", building))
    rng = random.Random(42)
    now = NOW.isoformat()
    with connection.cursor() as cursor:
        raw = cursor.connection
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY assets_asset (created_at, updated_at, organization_id, public_id, code, "
                "name, asset_type, criticality, status, location_id, path, depth, serial_number, "
                "manufacturer, model, search_text, version) FROM STDIN"
            ) as copy,
        ):
            for i in range(N_ASSETS + 5_000):
                owner = org.pk if i < N_ASSETS else other.pk
                code = f"AS-{i:06d}"
                kind = rng.choice(TYPES)
                name = f"{kind.title()} {i}"
                serial = f"SN{rng.randrange(10**9):09d}"
                maker = rng.choice(["Grundfos", "Siemens", "ABB", "Atlas Copco", "Carrier"])
                text = f"{code} {name} {kind} {serial} {maker}".lower()
                copy.write_row(
                    (
                        now,
                        now,
                        owner,
                        uuid.uuid4(),
                        code,
                        name,
                        kind,
                        rng.choice(CRITS),
                        rng.choice(STATUSES),
                        rng.choice(areas).pk if owner == org.pk else None,
                        "",
                        0,
                        serial,
                        maker,
                        "",
                        text,
                        1,
                    )
                )
        cursor.execute("UPDATE assets_asset SET path = '/' || id || '/'")
        cursor.execute(
            "SELECT id FROM assets_asset WHERE organization_id = %s ORDER BY id LIMIT %s",
            [org.pk, METERED_ASSETS],
        )
        asset_ids = [row[0] for row in cursor.fetchall()]
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY assets_meter (created_at, updated_at, organization_id, public_id, asset_id, "
                "name, kind, unit, min_value, version) FROM STDIN"
            ) as copy,
        ):
            for asset_id in asset_ids:
                copy.write_row(
                    (now, now, org.pk, uuid.uuid4(), asset_id, "Run hours", "cumulative", "h", 0, 1)
                )
        cursor.execute("SELECT id FROM assets_meter ORDER BY id")
        meter_ids = [row[0] for row in cursor.fetchall()]
        per_meter, extra = divmod(N_READINGS - CHART_READINGS, len(meter_ids) - 1)
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY assets_meterreading (created_at, updated_at, organization_id, public_id, "
                "meter_id, value, taken_at, source, is_replacement, note) FROM STDIN"
            ) as copy,
        ):
            for index, meter_id in enumerate(meter_ids):
                count = CHART_READINGS if index == 0 else per_meter + (index <= extra)
                step = timedelta(minutes=30) if index == 0 else timedelta(days=7)
                for k in range(count):
                    taken = NOW - step * (count - k)
                    copy.write_row(
                        (
                            now,
                            now,
                            org.pk,
                            uuid.uuid4(),
                            meter_id,
                            1000.0 + k * 0.5,
                            taken,
                            "iot",
                            False,
                            "",
                        )
                    )
        cursor.execute(
            "UPDATE assets_meter m SET last_value = r.value, last_reading_at = r.taken_at FROM "
            "(SELECT DISTINCT ON (meter_id) meter_id, value, taken_at FROM assets_meterreading "
            "ORDER BY meter_id, taken_at DESC) r WHERE r.meter_id = m.id"
        )
        cursor.execute("ANALYZE")
    print(f"loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    assert Membership.objects.filter(organization=org).exists()


def timed(client, url: str, n: int) -> list[float]:
    for _ in range(10):
        assert client.get(url).status_code == 200, client.get(url).content[:300]
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return samples


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    verdict = "ok" if p95 < 50 else "OVER TARGET"
    print(
        f"{label:<58} median {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   "
        f"({len(ordered)} requests, {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reload", action="store_true", help="drop and reload the database")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    ensure_database(args.reload)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from assets.models import Asset, Location, Meter, MeterReading
    from fieldops.accounts.models import Membership, Organization
    from fieldops.accounts.services import api_token_create

    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(slug="bench").exists():
        load()
    org = Organization.objects.get(slug="bench")
    print(
        f"data: {Asset.objects.filter(organization=org).count():,} assets, "
        f"{MeterReading.objects.count():,} readings, {Location.objects.count():,} locations"
    )
    membership = Membership.objects.get(organization=org)
    token = api_token_create(membership=membership, name="bench").secret
    client = Client(headers={"Authorization": f"Bearer {token}"})
    site = Location.objects.filter(organization=org, kind="site").order_by("code")[3]
    meter = Meter.objects.filter(organization=org).order_by("id").first()
    n = args.requests
    report(
        "GET /assets?location=<site>&status=operating&criticality=high",
        timed(
            client,
            f"/api/v1/assets?location={site.public_id}&status=operating&criticality=high&limit=50",
            n,
        ),
    )
    report(
        "GET /assets?asset_type=pump&q=grundfos (text search)",
        timed(client, "/api/v1/assets?asset_type=pump&q=grundfos&limit=50", n),
    )
    report(
        "GET /assets?q=as-04321 (code search)",
        timed(client, "/api/v1/assets?q=as-04321&limit=50", n),
    )
    report(
        f"GET /meters/<id>/chart (90 days of {CHART_READINGS:,} readings)",
        timed(client, f"/api/v1/meters/{meter.public_id}/chart", n),
    )
    since = (NOW - timedelta(days=365)).isoformat().replace("+00:00", "Z")
    report(
        "GET /meters/<id>/chart?since=<1 year ago>",
        timed(client, f"/api/v1/meters/{meter.public_id}/chart?since={since}", n),
    )


if __name__ == "__main__":
    main()
