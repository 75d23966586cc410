"""Microsoft Dynamics 365 Business Central through API v2.0."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from integrations.connectors.base import Connector, Page, RemoteRecord, map_rows, register
from integrations.connectors.business_central import mapping
from integrations.connectors.business_central.client import BusinessCentralClient
from integrations.connectors.http import expect

ENTITIES: dict[str, tuple[str, str | None, Any]] = {
    "parts": ("items", None, mapping.part_from_remote),
    "vendors": ("vendors", None, mapping.vendor_from_remote),
    "employees": ("employees", None, mapping.employee_from_remote),
    "purchase_orders": ("purchaseOrders", "purchaseOrderLines", mapping.purchase_order_from_remote),
}


@register
class BusinessCentralConnector(Connector):
    system = "business_central"
    entities = tuple(ENTITIES)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.api = BusinessCentralClient(self.http, self.credentials, self.options)

    def check(self) -> None:
        self.api.get(self.api.entity_url("items"), {"$top": "1"})

    def list_page(
        self, entity: str, *, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page:
        self.require_entity(entity)
        entity_set, expand, to_unified = ENTITIES[entity]
        if cursor:  # @odata.nextLink carries every option and the $skiptoken
            body = self.api.get(cursor, page_size=page_size)
        else:
            params = {"$orderby": "lastModifiedDateTime asc,id asc"}
            if since is not None:
                stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                params["$filter"] = f"lastModifiedDateTime ge {stamp}"
            if expand:
                params["$expand"] = expand
            body = self.api.get(self.api.entity_url(entity_set), params, page_size=page_size)
        rows = body.get("value")
        expect(isinstance(rows, list), "no 'value' list")
        records, failures = map_rows(rows, to_unified, key=lambda row: row.get("id"), raw=_strip)
        return Page(records=records, next_cursor=body.get("@odata.nextLink"), failures=failures)

    def get(self, entity: str, remote_id: str) -> RemoteRecord:
        self.require_entity(entity)
        entity_set, expand, to_unified = ENTITIES[entity]
        body = self.api.get(
            f"{self.api.entity_url(entity_set)}({remote_id})",
            {"$expand": expand} if expand else None,
        )
        return RemoteRecord(to_unified(body), _strip(body))


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("@odata.")}
