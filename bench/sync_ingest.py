"""Sync 100,000 records from a simulator into PostgreSQL and compare with the physical limit.

    .venv/bin/python bench/sync_ingest.py [--records 100000] [--pg postgres://postgres@127.0.0.1:5432]

Creates a scratch database, migrates it, and prints records/s for
  1. the real sync engine (SAP OData v2 simulator, 1,000 records a page: paging, mapping,
     hashing, one external reference with its synced copy per record, checkpoint per page).
     The simulator serves HTTP on a loopback port from a process of its own, as an ERP would:
     its JSON encoding is not the engine's work. ``--simulator in-process`` serves it through
     an HTTPX mock transport in the engine's own process instead (its CPU then counts as the
     engine's),
  2. a plain COPY of the same rows (unified + raw JSON) into a scratch table, once before the
     engine's run and once after (the host's speed drifts; the mean brackets the engine's run),
  3. a naive loop with one save() per row (on a sample; its rate is what matters).
The scratch database is dropped at the end.
"""

import argparse
import json
import multiprocessing
import os
import queue
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _records(n: int) -> list[dict]:
    from tests.integrations.sap_data import equipment

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        equipment(f"{10_000_000 + i}", f"Pump P-{i}", t0 + timedelta(seconds=i)) for i in range(n)
    ]


def _simulator(n: int):
    from tests.integrations.simulators.sap import SapSimulator

    sim = SapSimulator(page_size=1000)
    sim.rows["/API_EQUIPMENT/Equipment"] = _records(n)
    return sim


def _serve_simulator(n: int, urls) -> None:
    """The ERP: its own process, serving until it is terminated or the bench is gone."""
    sys.path.insert(0, str(ROOT))
    from tests.integrations.simulators.base import serve

    parent = os.getppid()
    with serve(_simulator(n)) as url:
        urls.put(url)
        while os.getppid() == parent:  # a killed bench leaves no simulator behind
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=5_000)
    parser.add_argument("--projection-sample", type=int, default=2_000)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--simulator", choices=("process", "in-process"), default="process")
    args = parser.parse_args()

    import psycopg

    scratch = f"fo_bench_sync_{os.getpid()}"
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        run(args, f"{args.pg}/{scratch}")
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def run(args: argparse.Namespace, database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldops.settings_test")
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    n = args.records
    if args.simulator == "process":
        context = multiprocessing.get_context("spawn")
        urls = context.Queue()
        erp = context.Process(target=_serve_simulator, args=(n, urls), daemon=True)
        erp.start()
        try:
            measure(args, _simulator_url(erp, urls), None, erp)
        finally:
            erp.terminate()
            erp.join(5)
    else:
        measure(args, "http://127.0.0.1:9/sap/opu/odata/sap", _simulator(n).transport(), None)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process on this machine (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _simulator_url(erp, urls) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not erp.is_alive():
            raise SystemExit(f"the ERP simulator exited (code {erp.exitcode}) before serving")
        try:
            return urls.get(timeout=1) + "/sap/opu/odata/sap"
        except queue.Empty:
            continue
    raise SystemExit("the ERP simulator did not start serving within 120 s")


def _mapped(rows: list[dict]) -> list[tuple]:
    """Mapped records for COPY and the naive loop (mapping time excluded from both: the COPY
    figure is the database's limit, not Python's)."""
    from integrations.connectors.sap_s4hana import mapping
    from integrations.connectors.sap_s4hana.connector import _strip
    from integrations.unified import to_json

    return [
        (raw["Equipment"], to_json(mapping.asset_from_remote(raw)), _strip(raw)) for raw in rows
    ]


def _copy_seconds(db, mapped: list[tuple], table: str) -> float:
    """A plain COPY of the rows (remote id, hash, unified and raw JSON) into a new table."""
    from integrations.services.sync_writes import payload_hash

    with db.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (remote_id text, payload_hash text, unified jsonb, raw jsonb)"
        )
    raw_conn = db.connection
    started = time.perf_counter()
    with (
        raw_conn.cursor() as cur,
        cur.copy(f"COPY {table} (remote_id, payload_hash, unified, raw) FROM STDIN") as copy,
    ):
        for remote_id, unified, raw in mapped:
            copy.write_row((remote_id, payload_hash(unified), json.dumps(unified), json.dumps(raw)))
    raw_conn.commit() if not raw_conn.autocommit else None
    return time.perf_counter() - started


def measure(args: argparse.Namespace, base_url: str, transport, erp) -> None:
    from django.db import connection as db

    from fieldops.heap import freeze_startup_heap
    from integrations.connectors.factory import connector_for
    from integrations.crypto import encrypt_credentials
    from integrations.models import Connection, ExternalReference, SyncRun
    from integrations.services.sync import sync_run_execute
    from integrations.services.sync_writes import payload_hash
    from tests.factories import OrganizationFactory
    from tests.integrations.simulators.sap import SapSimulator

    n = args.records
    org = OrganizationFactory()
    conn = Connection.objects.create(
        organization=org,
        system="sap_s4hana",
        name="bench",
        rate_limit_per_minute=100_000,
        base_url=base_url,
        credentials_encrypted=encrypt_credentials({"username": "FIELDOPS", "password": "s3cret"}),
    )

    from integrations.services import local

    # 1. The sync engine, end to end, into the external references and their synced copies. The
    # projection into FieldOps assets (one asset_create per new record, through the asset
    # services) is measured apart in 1b: it is row-at-a-time by design and would hide the
    # engine's own figure.
    project_assets = local.UPSERTS.pop("assets")
    run_row = SyncRun.objects.create(organization=org, connection=conn, entity="assets", full=True)
    connector = connector_for(conn, transport=transport)
    from django.db.backends.signals import connection_created
    from django.test.utils import CaptureQueriesContext

    # The next page is read on a thread of its own, whose connection runs the connection
    # guard's statements: counted too, apart.
    other_connections = []

    def watch(sender, connection, **kwargs):
        connection.force_debug_cursor = True
        other_connections.append(connection)

    # 2a. COPY, the limit, once before the engine and once after: the host's speed drifts, and
    # the two bracket the engine's run. Its records are dropped before the engine runs.
    copy_before = _copy_seconds(db, _mapped(_records(n)), "bench_copy_before")

    connection_created.connect(watch)
    # This process stands in for a Celery worker that has started: what it loaded is settled
    # the same way (fieldops.celery). The records of the other methods are built apart from the
    # engine's run, as a worker holds no such list.
    freeze_startup_heap()
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    others = {"PostgreSQL backend": backend, **({"ERP simulator": erp.pid} if erp else {})}
    with CaptureQueriesContext(db) as sync_queries:
        others_started = {name: _cpu_seconds(pid) for name, pid in others.items()}
        started, cpu_started = time.perf_counter(), time.process_time()
        result = sync_run_execute(run_id=run_row.pk, connector=connector)
        sync_seconds = time.perf_counter() - started
        sync_cpu = time.process_time() - cpu_started
        others_cpu = {
            name: _cpu_seconds(pid) - others_started[name] for name, pid in others.items()
        }
    connection_created.disconnect(watch)
    other_queries = sum(len(c.queries_log) for c in other_connections)
    if result.status != "completed" or result.created != n:
        raise SystemExit(f"sync did not complete: {result.status} {result.created}: {result.error}")
    local.UPSERTS["assets"] = project_assets
    rows = _records(n)

    # 1b. The same engine with the projection into FieldOps assets, on a sample.
    sample_sim = SapSimulator(page_size=1000)
    sample_sim.rows["/API_EQUIPMENT/Equipment"] = rows[: args.projection_sample]
    conn_p = Connection.objects.create(
        organization=org,
        system="sap_s4hana",
        name="projected",
        rate_limit_per_minute=100_000,
        base_url=conn.base_url,
        credentials_encrypted=conn.credentials_encrypted,
    )
    run_p = SyncRun.objects.create(organization=org, connection=conn_p, entity="assets", full=True)
    started = time.perf_counter()
    projected = sync_run_execute(
        run_id=run_p.pk, connector=connector_for(conn_p, transport=sample_sim.transport())
    )
    projection_seconds = time.perf_counter() - started
    if projected.created != args.projection_sample:
        raise SystemExit(f"projection sample did not complete: {projected.created}")

    # 2b. COPY again, after the engine.
    mapped = _mapped(rows)
    copy_after = _copy_seconds(db, mapped, "bench_copy_after")
    copy_seconds = (copy_before + copy_after) / 2

    # 3. Naive: one save() per record, on a sample.
    conn2 = Connection.objects.create(
        organization=org, system="sap_s4hana", name="naive", base_url=conn.base_url
    )
    sample = mapped[: args.naive_sample]
    started = time.perf_counter()
    for remote_id, unified, raw in sample:
        ref = ExternalReference(
            organization=org,
            connection=conn2,
            system="sap_s4hana",
            entity="assets",
            remote_id=remote_id,
            payload_hash=payload_hash(unified),
            unified=unified,
            raw=raw,
        )
        ref.save()
    naive_seconds = time.perf_counter() - started

    simulator_where = "in this process" if erp is None else "in its own process, over HTTP"
    sync_rate = n / sync_seconds
    copy_rate = n / copy_seconds
    naive_rate = len(sample) / naive_seconds
    print(
        f"records: {n:,} (SAP OData v2 simulator {simulator_where}, 1,000 per page, PostgreSQL "
        f"{db.cursor().connection.info.server_version})"
    )
    print(
        f"sync engine      : {sync_rate:>10,.0f} records/s  ({sync_seconds:.1f} s; "
        f"{len(sync_queries) / result.pages:.1f} queries + 1 COPY a page of 1,000 over "
        f"{result.pages} pages, and {other_queries / result.pages:.1f} on the read-ahead "
        f"thread's connection; Python {sync_cpu / n * 1e6:.0f} us CPU a record, "
        f"{'ERP simulator included' if erp is None else 'the ERP not included'})"
    )
    print(
        "  CPU a record besides: "
        + "; ".join(f"{name} {seconds / n * 1e6:.0f} us" for name, seconds in others_cpu.items())
        + " (the read-ahead thread's connection, a few queries a page, not counted)"
    )
    print(
        f"COPY (limit)     : {copy_rate:>10,.0f} records/s  (the mean of two runs: "
        f"{n / copy_before:,.0f} before the engine, {n / copy_after:,.0f} after)"
    )
    print(f"naive save()/row : {naive_rate:>10,.0f} records/s  (sample of {len(sample):,})")
    print(
        f"with asset upsert: {args.projection_sample / projection_seconds:>10,.0f} records/s  "
        f"(sample of {args.projection_sample:,}, each through asset_create)"
    )
    print(
        f"sync is {copy_rate / sync_rate:.2f}x slower than COPY (target: within 5x); "
        f"{sync_rate / naive_rate:.1f}x faster than naive"
    )


if __name__ == "__main__":
    main()
