from decimal import Decimal

import pytest

from integrations.connectors.business_central import mapping
from integrations.connectors.business_central.connector import BusinessCentralConnector
from integrations.connectors.errors import AuthFailed
from integrations.connectors.http import HttpClient
from tests.integrations.simulators.business_central import (
    COMPANY,
    BusinessCentralSimulator,
    item,
)

BASE = "http://127.0.0.1:9/v2.0/tenant/production"


def seeded(count=5, max_page=20000):
    sim = BusinessCentralSimulator(max_page=max_page)
    sim.rows["items"] = [
        item(str(1000 + i), f"Part {i}", f"2026-11-0{i + 1}T10:00:00Z") for i in range(count)
    ]
    return sim


def make(sim, secret="bc-secret-value"):  # noqa: S107
    http = HttpClient(base_url=BASE, transport=sim.transport(), sleep=lambda s: None)
    return BusinessCentralConnector(
        http=http,
        credentials={"client_id": "app", "client_secret": secret},
        options={"company_id": COMPANY, "token_url": "http://127.0.0.1:9/tenant/oauth2/v2.0/token"},
    )


def test_item_maps_to_part_and_back():
    raw = item("1000", "Bearing 6204", "2026-11-01T10:00:00Z")
    part = mapping.part_from_remote(raw)
    assert (part.code, part.unit, part.unit_cost, part.stock[0].quantity) == (
        "1000",
        "PCS",
        Decimal("7.25"),
        Decimal("12"),
    )
    back = mapping.part_to_remote(part)
    assert mapping.part_from_remote({**raw, **back}) == part


def test_paging_follows_odata_next_link_with_max_page_size():
    sim = seeded(5)
    connector, cursor, seen = make(sim), None, []
    while True:
        page = connector.list_page("parts", since=None, cursor=cursor, page_size=2)
        seen += [r.unified.code for r in page.records]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == ["1000", "1001", "1002", "1003", "1004"]
    assert all(
        r.headers.get("Prefer") == "odata.maxpagesize=2"
        for r in sim.requests
        if "companies" in r.url.path
    )


def test_incremental_filter_on_last_modified():
    from datetime import UTC, datetime

    page = make(seeded(5)).list_page(
        "parts", since=datetime(2026, 11, 4, tzinfo=UTC), cursor=None, page_size=50
    )
    assert [r.unified.code for r in page.records] == ["1003", "1004"]


def test_bad_client_secret_is_auth_failed():
    with pytest.raises(AuthFailed):
        make(seeded(), secret="nope").check()
