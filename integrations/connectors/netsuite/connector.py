"""Oracle NetSuite through SuiteTalk REST: SuiteQL for bulk reads, the record API for the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from integrations.connectors.base import Connector, Page, RemoteRecord, map_rows, register
from integrations.connectors.http import expect
from integrations.connectors.netsuite import mapping
from integrations.connectors.netsuite.client import NetSuiteClient

# entity -> (SuiteQL table, its columns, record type) for the entities read in bulk.
SUITEQL: dict[str, tuple[str, str, str]] = {
    "parts": (
        "item",
        "id, itemid, displayname, purchasedescription, cost, baseprice, isinactive, stockunit, "
        "BUILTIN.DF(stockunit) AS stockunit_name, lastmodifieddate",
        "inventoryItem",
    ),
    "vendors": (
        "vendor",
        "id, entityid, companyname, email, phone, isinactive, lastmodifieddate",
        "vendor",
    ),
    "employees": (
        "employee",
        "id, entityid, firstname, lastname, email, isinactive, hiredate, releasedate, "
        "lastmodifieddate",
        "employee",
    ),
    "locations": (
        "location",
        "id, name, externalid, parent, isinactive, lastmodifieddate",
        "location",
    ),
}
# Entities with lines read through the record API (a list of ids, then each record whole).
RECORDS = {"purchase_orders": "purchaseOrder"}
MAPPINGS: dict[str, Any] = {
    "parts": mapping.part_from_remote,
    "vendors": mapping.vendor_from_remote,
    "employees": mapping.employee_from_remote,
    "locations": mapping.location_from_remote,
    "purchase_orders": mapping.purchase_order_from_remote,
}


def _timestamp(value: datetime) -> str:
    # GUESS: the account's time zone is UTC; TO_TIMESTAMP reads in the account's zone.
    return f"TO_TIMESTAMP('{value:%Y-%m-%d %H:%M:%S}', 'YYYY-MM-DD HH24:MI:SS')"


@register
class NetSuiteConnector(Connector):
    system = "netsuite"
    entities = tuple(MAPPINGS)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.api = NetSuiteClient(self.http, self.credentials)

    def check(self) -> None:
        self.api.suiteql("SELECT id FROM employee", limit=1, offset=0)

    def list_page(
        self, entity: str, *, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page:
        self.require_entity(entity)
        if entity in RECORDS:
            return self._record_page(entity, since, cursor, page_size)
        table, columns, _ = SUITEQL[entity]
        where = []
        if since is not None:
            where.append(f"lastmodifieddate >= {_timestamp(since.astimezone(UTC))}")
        if cursor:
            # Keyset on (lastmodifieddate, id): offsets shift when rows change during a run.
            position = json.loads(cursor)
            at = _timestamp(datetime.fromisoformat(position["t"]).astimezone(UTC))
            after = int(position["id"])
            where.append(f"(lastmodifieddate > {at} OR (lastmodifieddate = {at} AND id > {after}))")
        # Only constants and formatted timestamps/ints go into the query: no outside text.
        query = f"SELECT {columns} FROM {table}"  # noqa: S608
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY lastmodifieddate ASC, id ASC"
        rows, has_more = self.api.suiteql(query, limit=page_size, offset=0)
        rows = [_strip(row) for row in rows]
        records, failures = map_rows(rows, MAPPINGS[entity], key=lambda row: row.get("id"))
        next_cursor = None
        if has_more and rows:
            last = mapping.parse_datetime(rows[-1].get("lastmodifieddate"))
            next_cursor = json.dumps({"t": last.isoformat() if last else "", "id": rows[-1]["id"]})
        return Page(records=records, next_cursor=next_cursor, failures=failures)

    def _record_page(
        self, entity: str, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page:
        record_type = RECORDS[entity]
        if cursor:  # the collection's "next" link carries q, limit and offset
            items, links = self._collection(cursor)
        else:
            params = {"limit": str(page_size), "offset": "0"}
            if since is not None:
                params["q"] = f'lastModifiedDate ON_OR_AFTER "{since:%m/%d/%Y %I:%M %p}"'
            items, links = self._collection(f"/services/rest/record/v1/{record_type}", params)
        rows = [
            _strip(self.api.record(record_type, str(item["id"]), expandSubResources="true"))
            for item in items
        ]
        records, failures = map_rows(rows, MAPPINGS[entity], key=lambda row: row.get("id"))
        next_link = next((link["href"] for link in links if link.get("rel") == "next"), None)
        return Page(records=records, next_cursor=next_link, failures=failures)

    def _collection(self, url: str, params: dict[str, str] | None = None) -> tuple[list, list]:
        body = self.api.request("GET", url, params=params)
        expect(isinstance(body.get("items"), list), "no 'items' list")
        return body["items"], body.get("links") or []

    def get(self, entity: str, remote_id: str) -> RemoteRecord:
        self.require_entity(entity)
        record_type = RECORDS.get(entity) or SUITEQL[entity][2]
        row = _strip(self.api.record(record_type, remote_id, expandSubResources="true"))
        return RemoteRecord(MAPPINGS[entity](row), row)


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    """The record without NetSuite's hypermedia ``links`` (also inside sublists)."""
    out = {}
    for key, value in row.items():
        if key == "links":
            continue
        if isinstance(value, dict) and isinstance(value.get("items"), list):
            value = {**value, "items": [_strip(item) for item in value["items"]]}
            value.pop("links", None)
        out[key] = value
    return out
