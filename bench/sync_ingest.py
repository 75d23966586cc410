"""Sync 100,000 records from a simulator into PostgreSQL and compare with the physical limit.

    .venv/bin/python bench/sync_ingest.py [--records 100000] [--repeat 3]
        [--pg postgres://postgres@127.0.0.1:5432]

Creates a scratch database, migrates it, and prints records/s for
  1. the real sync engine (SAP OData v2 simulator, 1,000 records a page: paging, mapping,
     hashing, one external reference with its synced copy per record, checkpoint per page).
     The simulator serves HTTP on a loopback port from a process of its own, as an ERP would:
     its JSON encoding is not the engine's work. ``--simulator in-process`` serves it through
     an HTTPX mock transport in the engine's own process instead (its CPU then counts as the
     engine's),
  2. a plain COPY of the same rows (unified + raw JSON) into a scratch table, before and after
     each of the engine's runs (``--repeat``, 3): the host's speed drifts, so each run is
     compared with the mean of the two COPY runs around it, and the median ratio is the figure,
  3. a naive loop with one save() per row (on a sample; its rate is what matters).
The scratch database is dropped at the end.
"""

import argparse
import hashlib
import multiprocessing
import os
import queue
import statistics
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
    """The ERP: its own process, serving until it is terminated or the bench is gone. Each GET's
    answer is prepared once and kept: the bench reads every page once before the measured run,
    so during it the ERP costs this machine's two cores little more than the sockets, as an ERP
    on a machine of its own would."""
    sys.path.insert(0, str(ROOT))
    from tests.integrations.simulators.base import serve

    simulator = _simulator(n)
    prepared: dict[str, object] = {}
    handle = simulator.handle

    def prepared_handle(request):
        if request.method != "GET":
            return handle(request)
        key = str(request.url)
        if key not in prepared:
            prepared[key] = handle(request)
        return prepared[key]

    simulator.handle = prepared_handle
    parent = os.getppid()
    with serve(simulator) as url:
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
    parser.add_argument("--repeat", type=int, default=3, help="engine runs, each between COPYs")
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


def _copy_rows(mapped: list[tuple]) -> list[tuple]:
    """The rows as COPY takes them (remote id, hash, unified and raw JSON), serialised before
    the clock starts, the way the engine serialises them: the COPY figure is the database's."""
    from integrations.services.sync_writes import canonical_json, raw_json

    rows = []
    for remote_id, unified, raw in mapped:
        text = canonical_json(unified)
        rows.append((remote_id, hashlib.sha256(text.encode()).hexdigest(), text, raw_json(raw)))
    return rows


def _copy_seconds(db, rows: list[tuple], table: str) -> float:
    """A plain COPY of the rows into a new table without an index."""
    with db.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {table} (remote_id text, payload_hash text, unified jsonb, raw jsonb)"
        )
    raw_conn = db.connection
    started = time.perf_counter()
    with (
        raw_conn.cursor() as cur,
        cur.copy(f"COPY {table} (remote_id, payload_hash, unified, raw) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    raw_conn.commit() if not raw_conn.autocommit else None
    return time.perf_counter() - started


def measure(args: argparse.Namespace, base_url: str, transport, erp) -> None:
    from django.db import connection as db

    from fieldops.heap import freeze_startup_heap
    from integrations.connectors.factory import connector_for
    from integrations.crypto import encrypt_credentials
    from integrations.models import Connection, ExternalReference, SyncRun
    from integrations.services import local
    from integrations.services.sync_writes import payload_hash
    from tests.factories import OrganizationFactory

    n = args.records
    org = OrganizationFactory()

    def connection(name: str) -> Connection:
        return Connection.objects.create(
            organization=org,
            system="sap_s4hana",
            name=name,
            rate_limit_per_minute=100_000,
            base_url=base_url,
            credentials_encrypted=encrypt_credentials(
                {"username": "FIELDOPS", "password": "s3cret"}
            ),
        )

    # The rows of COPY and of the naive loop, built once and frozen with the rest of this
    # process's heap (fieldops.heap, as a started Celery worker does): the collector never walks
    # them during the engine's runs.
    mapped = _mapped(_records(n))
    copy_rows = _copy_rows(mapped)
    freeze_startup_heap()
    if erp is not None:  # every page read once: the ERP prepares its answers (see above)
        connector = connector_for(connection("warm-up"), transport=transport)
        next_cursor = None
        while True:
            page = connector.list_page("assets", since=None, cursor=next_cursor, page_size=1000)
            if not (next_cursor := page.next_cursor):
                break
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    others = {"PostgreSQL backend": backend, **({"ERP simulator": erp.pid} if erp else {})}

    # 1. The sync engine, end to end, into the external references and their synced copies,
    # each run bracketed by two COPY runs of the same rows (2.): the host's speed drifts, so
    # each run is compared with the mean of the COPY just before and just after it. The
    # references of the run before are truncated, so every run starts from the same table. The
    # projection into FieldOps assets (one asset_create per new record, through the asset
    # services) is measured apart (1b): it is row-at-a-time by design and would hide the
    # engine's own figure.
    project_assets = local.UPSERTS.pop("assets")
    copies = [_copy_seconds(db, copy_rows, "bench_copy")]
    runs = []
    for number in range(args.repeat):
        with db.cursor() as cursor:
            cursor.execute(f"TRUNCATE {ExternalReference._meta.db_table}")
        runs.append(_engine_run(db, connection(f"bench {number}"), transport, others, n))
        copies.append(_copy_seconds(db, copy_rows, "bench_copy"))
    local.UPSERTS["assets"] = project_assets

    # 1b. The same engine with the projection into FieldOps assets, on a sample.
    from tests.integrations.simulators.sap import SapSimulator

    sample_sim = SapSimulator(page_size=1000)
    sample_sim.rows["/API_EQUIPMENT/Equipment"] = _records(args.projection_sample)
    conn_p = connection("projected")
    run_p = SyncRun.objects.create(organization=org, connection=conn_p, entity="assets", full=True)
    from integrations.services.sync import sync_run_execute

    started = time.perf_counter()
    projected = sync_run_execute(
        run_id=run_p.pk, connector=connector_for(conn_p, transport=sample_sim.transport())
    )
    projection_seconds = time.perf_counter() - started
    if projected.created != args.projection_sample:
        raise SystemExit(f"projection sample did not complete: {projected.created}")

    # 3. Naive: one save() per record, on a sample.
    conn2 = connection("naive")
    sample = mapped[: args.naive_sample]
    started = time.perf_counter()
    for remote_id, unified, raw in sample:
        ExternalReference(
            organization=org,
            connection=conn2,
            system="sap_s4hana",
            entity="assets",
            remote_id=remote_id,
            payload_hash=payload_hash(unified),
            unified=unified,
            raw=raw,
        ).save()
    naive_rate = len(sample) / (time.perf_counter() - started)

    simulator_where = "in this process" if erp is None else "in its own process, over HTTP"
    print(
        f"records: {n:,} (SAP OData v2 simulator {simulator_where}, 1,000 per page, PostgreSQL "
        f"{db.cursor().connection.info.server_version}), {args.repeat} engine runs, each "
        "between two COPY runs"
    )
    ratios = []
    for number, run in enumerate(runs):
        copy_rate = n / ((copies[number] + copies[number + 1]) / 2)
        ratios.append(copy_rate / run["rate"])
        print(
            f"run {number + 1}: sync engine {run['rate']:>7,.0f} records/s ({run['seconds']:.1f} s"
            f"), COPY {copy_rate:>7,.0f} records/s (before {n / copies[number]:,.0f}, after "
            f"{n / copies[number + 1]:,.0f}): {ratios[-1]:.2f}x"
        )
        print(
            f"  CPU a record: engine's Python {run['cpu'] / n * 1e6:.0f} us"
            f" ({'the ERP simulator included' if erp is None else 'the ERP not included'}); "
            + "; ".join(f"{name} {sec / n * 1e6:.0f} us" for name, sec in run["others"].items())
            + f"; {run['queries']:.1f} queries + 1 COPY a page, and {run['other_queries']:.1f}"
            " on the read-ahead thread's connection"
        )
    engine_rate = statistics.median(run["rate"] for run in runs)
    print(f"naive save()/row : {naive_rate:>10,.0f} records/s  (sample of {len(sample):,})")
    print(
        f"with asset upsert: {args.projection_sample / projection_seconds:>10,.0f} records/s  "
        f"(sample of {args.projection_sample:,}, each through asset_create)"
    )
    print(
        f"sync is {statistics.median(ratios):.2f}x slower than COPY, the median of "
        f"{', '.join(f'{r:.2f}x' for r in ratios)} (target: within 5x); "
        f"{engine_rate / naive_rate:.1f}x faster than naive"
    )


def _engine_run(db, conn, transport, others: dict[str, int], n: int) -> dict:
    """One full sync of the simulator's records into an empty reference table."""
    from django.db.backends.signals import connection_created
    from django.test.utils import CaptureQueriesContext

    from integrations.connectors.factory import connector_for
    from integrations.models import SyncRun
    from integrations.services.sync import sync_run_execute

    run_row = SyncRun.objects.create(
        organization=conn.organization, connection=conn, entity="assets", full=True
    )
    connector = connector_for(conn, transport=transport)
    # The next page is read on a thread of its own, whose connection runs the connection
    # guard's statements: counted too, apart.
    other_connections = []

    def watch(sender, connection, **kwargs):
        connection.force_debug_cursor = True
        other_connections.append(connection)

    connection_created.connect(watch)
    try:
        with CaptureQueriesContext(db) as queries:
            others_started = {name: _cpu_seconds(pid) for name, pid in others.items()}
            started, cpu_started = time.perf_counter(), time.process_time()
            result = sync_run_execute(run_id=run_row.pk, connector=connector)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            others_cpu = {
                name: _cpu_seconds(pid) - others_started[name] for name, pid in others.items()
            }
    finally:
        connection_created.disconnect(watch)
    if result.status != "completed" or result.created != n:
        raise SystemExit(f"sync did not complete: {result.status} {result.created}: {result.error}")
    return {
        "rate": n / seconds,
        "seconds": seconds,
        "cpu": cpu,
        "others": others_cpu,
        "queries": len(queries) / result.pages,
        "other_queries": sum(len(c.queries_log) for c in other_connections) / result.pages,
    }


if __name__ == "__main__":
    main()
