"""The Maximo connector against the Maximo REST simulator."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.connectors.errors import AuthFailed, MalformedResponse
from integrations.connectors.factory import connector_for
from integrations.connectors.http import HttpClient
from integrations.connectors.maximo import mapping
from integrations.connectors.maximo.connector import MaximoConnector
from integrations.crypto import encrypt_credentials
from integrations.models import ExternalReference, SyncRun
from integrations.services.sync import sync_run_execute
from tests.integrations.factories import ConnectionFactory
from tests.integrations.simulators.maximo import MaximoSimulator, asset, work_order

BASE = "http://127.0.0.1:9"


def seeded(count=5, **options):
    sim = MaximoSimulator(**options)
    sim.rows["mxapiwodetail"] = [
        work_order(1000 + i, f"WO{1000 + i}", f"2026-11-0{i + 1}T09:00:00-05:00")
        for i in range(count)
    ]
    sim.rows["mxapiasset"] = [asset("PUMP-101", "2026-11-01T08:00:00-05:00")]
    return sim


def make(sim, apikey="mx-key-123"):
    http = HttpClient(base_url=BASE, transport=sim.transport(), sleep=lambda s: None)
    return MaximoConnector(http=http, credentials={"apikey": apikey}, options={})


def read_all(connector, entity, page_size, since=None):
    seen, cursor, pages = [], None, 0
    while True:
        page = connector.list_page(entity, since=since, cursor=cursor, page_size=page_size)
        seen += page.records
        pages += 1
        if not (cursor := page.next_cursor):
            return seen, pages


def test_work_order_maps_to_unified_and_back():
    raw = work_order(1000, "WO1000", "2026-11-01T09:00:00-05:00")
    unified = mapping.work_order_from_remote(raw)
    assert (unified.remote_id, unified.number, unified.status, unified.priority) == (
        "1000",
        "WO1000",
        "assigned",
        "high",
    )
    assert unified.remote_updated_at == datetime(2026, 11, 1, 14, tzinfo=UTC)
    assert unified.scheduled_start == datetime(2026, 11, 3, 13, tzinfo=UTC)
    assert unified.asset_remote_id == "PUMP-101"
    assert unified.labour[0].hours == Decimal("1.5")
    assert unified.labour[0].employee_remote_id == "WILSON"
    back = mapping.work_order_to_remote(unified)
    assert mapping.work_order_from_remote({**raw, **back}) == unified
    cancelled = mapping.work_order_from_remote({**raw, "status": "CAN"})
    assert (cancelled.status, cancelled.is_deleted) == ("cancelled", True)


def test_asset_maps_to_unified():
    unified = mapping.asset_from_remote(asset("PUMP-101", "2026-11-01T08:00:00-05:00"))
    assert (unified.code, unified.serial_number, unified.location_remote_id) == (
        "PUMP-101",
        "SN-PUMP-101",
        "BLDG-A",
    )
    retired = mapping.asset_from_remote(
        asset("PUMP-101", "2026-11-01T08:00:00-05:00", status="DECOMMISSIONED")
    )
    assert (retired.status, retired.is_deleted) == ("retired", True)


def test_paging_follows_next_page_to_the_end_with_lean_select_and_the_api_key():
    sim = seeded(5)
    records, pages = read_all(make(sim), "work_orders", page_size=2)
    assert [r.unified.number for r in records] == [f"WO{1000 + i}" for i in range(5)]
    assert pages == 3
    first = sim.requests[0]
    assert first.url.params["lean"] == "1"
    assert first.url.params["oslc.pageSize"] == "2"
    assert "changedate" in first.url.params["oslc.select"]
    assert all(r.headers["apikey"] == "mx-key-123" for r in sim.requests)
    assert "href" not in records[0].raw
    assert "_rowstamp" not in records[0].raw


def test_incremental_reads_use_oslc_where_on_changedate():
    sim = seeded(5)
    since = datetime(2026, 11, 4, 14, tzinfo=UTC)
    records, _ = read_all(make(sim), "work_orders", page_size=10, since=since)
    assert [r.unified.number for r in records] == ["WO1003", "WO1004"]
    assert sim.requests[0].url.params["oslc.where"] == 'changedate>="2026-11-04T14:00:00+00:00"'


def test_get_reads_one_record():
    assert make(seeded()).get("work_orders", "1002").unified.number == "WO1002"


def test_a_bad_api_key_is_auth_failed_with_maximos_message():
    with pytest.raises(AuthFailed) as caught:
        make(seeded(), apikey="nope").check()
    assert "BMXAA0021E" in caught.value.message


def test_an_unparsed_query_is_reported_with_its_maximo_code():
    from integrations.connectors.errors import RemoteError

    connector = make(seeded())
    with pytest.raises(RemoteError) as caught:
        connector.api.collection("/maximo/api/os/mxapiwodetail", {"lean": "1", "oslc.where": "x"})
    assert "BMXAA8744E" in caught.value.message


def test_a_page_without_member_is_malformed():
    from tests.integrations.simulators.base import json_response

    sim = seeded()
    sim.handle = lambda request: json_response({"responseInfo": {"totalCount": 0}})
    with pytest.raises(MalformedResponse):
        make(sim).list_page("work_orders", since=None, cursor=None, page_size=5)


def test_completion_is_pushed_once_as_a_status_change():
    sim = seeded(1)
    connector = make(sim)
    payload = {"remote_id": "1000", "completed_at": "2026-11-03T12:00:00+00:00"}
    assert connector.push("work_order.complete", payload, key="wo-x-complete") == "1000"
    connector.push("work_order.complete", payload, key="wo-x-complete")
    assert sim.status_changes == [("1000", "COMP")]


def maximo_connection(organization):
    return ConnectionFactory(
        organization=organization,
        system="maximo",
        base_url=BASE,
        credentials_encrypted=encrypt_credentials({"apikey": "mx-key-123"}),
    )


def test_incremental_resync_writes_nothing_when_nothing_changed(organization):
    connection = maximo_connection(organization)
    sim = seeded(5)

    def sync(full):
        run = SyncRun.objects.create(
            organization=organization, connection=connection, entity="work_orders", full=full
        )
        connector = connector_for(connection, transport=sim.transport(), sleep=lambda s: None)
        return sync_run_execute(run_id=run.pk, connector=connector)

    assert sync(True).created == 5
    stamps = stamps_now()
    again = sync(False)
    assert (again.created, again.updated) == (0, 0)
    assert stamps_now() == stamps


def stamps_now():
    return list(ExternalReference.objects.values_list("updated_at", flat=True).order_by("pk"))
