"""The NetSuite connector against the SuiteTalk REST simulator."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.connectors.errors import AuthFailed, RateLimited
from integrations.connectors.factory import connector_for
from integrations.connectors.http import HttpClient
from integrations.connectors.netsuite import mapping
from integrations.connectors.netsuite.connector import NetSuiteConnector
from integrations.crypto import encrypt_credentials
from integrations.models import ExternalReference, SyncRun
from integrations.ratelimit import ConnectionGuard
from integrations.services.sync import sync_run_execute
from tests.integrations.factories import ConnectionFactory
from tests.integrations.simulators.netsuite import (
    CERTIFICATE_ID,
    CLIENT_ID,
    PRIVATE_KEY_PEM,
    NetSuiteSimulator,
    employee,
    inventory_item,
    purchase_order,
)

BASE = "http://127.0.0.1:9/1234567"
CREDENTIALS = {
    "client_id": CLIENT_ID,
    "certificate_id": CERTIFICATE_ID,
    "private_key": PRIVATE_KEY_PEM,
}


def seeded(count=5, **options):
    sim = NetSuiteSimulator(**options)
    sim.records["inventoryItem"] = [
        inventory_item(str(500 + i), f"PART-{i}", f"Part {i}", f"2026-11-0{i + 1}T10:00:00Z")
        for i in range(count)
    ]
    sim.records["employee"] = [employee("7", "Jane", "Wrench", "2026-11-01T09:00:00Z")]
    sim.records["purchaseOrder"] = [
        purchase_order(str(900 + i), f"2026-11-0{i + 1}T12:00:00Z") for i in range(3)
    ]
    return sim


def make(sim, **credentials):
    http = HttpClient(base_url=BASE, transport=sim.transport(), sleep=lambda s: None)
    return NetSuiteConnector(http=http, credentials={**CREDENTIALS, **credentials}, options={})


def read_all(connector, entity, page_size, since=None):
    seen, cursor, pages = [], None, 0
    while True:
        page = connector.list_page(entity, since=since, cursor=cursor, page_size=page_size)
        seen += page.records
        pages += 1
        if not (cursor := page.next_cursor):
            return seen, pages


def test_item_maps_to_part_from_both_shapes_and_back():
    raw = inventory_item("500", "BRG-6204", "Bearing 6204", "2026-11-01T10:00:00Z")
    part = mapping.part_from_remote(raw)
    assert (part.code, part.name, part.unit, part.unit_cost, part.list_price) == (
        "BRG-6204",
        "Bearing 6204",
        "ea",
        Decimal("7.25"),
        Decimal("12.5"),
    )
    assert part.remote_updated_at == datetime(2026, 11, 1, 10, tzinfo=UTC)
    suiteql = {
        "id": "500",
        "itemid": "BRG-6204",
        "displayname": "Bearing 6204",
        "purchasedescription": "Bearing 6204 (purchase)",
        "cost": "7.25",
        "baseprice": "12.5",
        "isinactive": "F",
        "stockunit": "1",
        "stockunit_name": "ea",
        "lastmodifieddate": "11/1/2026 10:00 am",
    }
    assert mapping.part_from_remote(suiteql) == part
    assert mapping.part_from_remote({**raw, **mapping.part_to_remote(part)}) == part
    inactive = mapping.part_from_remote({**suiteql, "isinactive": "T"})
    assert (inactive.is_deleted, inactive.is_active) == (True, False)


def test_employee_and_purchase_order_mapping():
    jane = mapping.employee_from_remote(employee("7", "Jane", "Wrench", "2026-11-01T09:00:00Z"))
    assert (jane.name, jane.email, jane.code, str(jane.start_date)) == (
        "Jane Wrench",
        "jane.wrench@example.com",
        "EMP-7",
        "2024-03-01",
    )
    back = mapping.employee_to_remote(jane)
    assert (
        mapping.employee_from_remote({**employee("7", "x", "y", "2026-11-01T09:00:00Z"), **back})
        == jane
    )
    po = mapping.purchase_order_from_remote(purchase_order("900", "2026-11-01T12:00:00Z"))
    assert (po.number, po.vendor_name, po.status, po.currency, po.total_amount) == (
        "PO900",
        "Bearings Direct",
        "partially_received",
        "EUR",
        Decimal("73.2"),
    )
    assert [(line.part_code, line.quantity) for line in po.lines] == [
        ("BRG-6204", Decimal("4")),
        ("FLT-100", Decimal("2")),
    ]


def test_suiteql_pages_to_the_end_with_a_stable_keyset():
    sim = seeded(5)
    records, pages = read_all(make(sim), "parts", page_size=2)
    assert [r.unified.code for r in records] == [f"PART-{i}" for i in range(5)]
    assert pages == 3
    suiteql = [r for r in sim.requests if r.url.path.endswith("/suiteql")]
    assert all(r.headers["Prefer"] == "transient" for r in suiteql)
    assert all(r.url.params["offset"] == "0" for r in suiteql)
    assert "links" not in records[0].raw


def test_record_api_pages_by_next_link_and_reads_each_record_whole():
    sim = seeded()
    records, pages = read_all(make(sim), "purchase_orders", page_size=2)
    assert [r.unified.number for r in records] == ["PO900", "PO901", "PO902"]
    assert pages == 2
    assert len(records[0].unified.lines) == 2
    assert "links" not in records[0].raw["item"]["items"][0]


def test_incremental_reads_filter_on_last_modified():
    since = datetime(2026, 11, 4, tzinfo=UTC)
    parts, _ = read_all(make(seeded(5)), "parts", page_size=10, since=since)
    assert [r.unified.code for r in parts] == ["PART-3", "PART-4"]
    pos, _ = read_all(make(seeded()), "purchase_orders", page_size=10, since=since)
    assert pos == []


def test_get_reads_one_record_through_the_record_api():
    record = make(seeded()).get("employees", "7")
    assert record.unified.name == "Jane Wrench"


def test_a_wrong_certificate_key_is_auth_failed():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(AuthFailed):
        make(seeded(), private_key=other.decode()).check()


def netsuite_connection(organization, **values):
    return ConnectionFactory(
        organization=organization,
        system="netsuite",
        base_url=BASE,
        credentials_encrypted=encrypt_credentials(CREDENTIALS),
        **values,
    )


def test_incremental_resync_writes_nothing_when_nothing_changed(organization):
    connection = netsuite_connection(organization)
    sim = seeded(5)

    def sync(full):
        run = SyncRun.objects.create(
            organization=organization, connection=connection, entity="parts", full=full
        )
        connector = connector_for(connection, transport=sim.transport(), sleep=lambda s: None)
        return sync_run_execute(run_id=run.pk, connector=connector)

    assert sync(True).created == 5
    stamps = stamps_now()
    again = sync(True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert stamps_now() == stamps


def test_concurrency_limited_429_is_rate_limited():
    sim = seeded(concurrency=0)
    connector = make(sim)
    connector.http.max_inline_wait = 0
    with pytest.raises(RateLimited) as caught:
        connector.list_page("parts", since=None, cursor=None, page_size=5)
    assert "CONCURRENCY_LIMIT_EXCEEDED" in caught.value.message


@pytest.mark.django_db(transaction=True)
def test_the_connection_concurrency_cap_keeps_workers_under_the_account_limit(
    organization, settings, monkeypatch
):
    # NetSuite limits concurrent requests, not requests per minute: six workers sharing one
    # connection capped at two never trip an account that allows two at a time.
    settings.INTEGRATIONS_LIMITER_BACKEND = "cache"
    # The breaker's bookkeeping on the Connection row is not under test, and SQLite's shared
    # in-memory test database locks tables across threads.
    for name in ("_check_breaker", "record_success", "record_failure"):
        monkeypatch.setattr(ConnectionGuard, name, lambda *args, **kwargs: None)
    connection = netsuite_connection(organization, max_concurrency=2, rate_limit_per_minute=10_000)
    sim = seeded(5, concurrency=2, delay=0.05)
    errors = []

    def worker():
        try:
            http = HttpClient(
                base_url=BASE,
                transport=sim.transport(),
                guard=ConnectionGuard(connection, max_local_wait=30),
                max_attempts=1,
            )
            connector = NetSuiteConnector(http=http, credentials=CREDENTIALS, options={})
            read_all(connector, "parts", page_size=2)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (sim.rejected, sim.peak) == (0, 2)


def stamps_now():
    return list(ExternalReference.objects.values_list("updated_at", flat=True).order_by("pk"))
