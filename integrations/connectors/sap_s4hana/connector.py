"""SAP S/4HANA Cloud / on-premise through the OData v2 APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations import unified
from integrations.connectors.base import Connector, Page, RemoteRecord, map_page, register
from integrations.connectors.errors import Unsupported
from integrations.connectors.sap_s4hana import mapping
from integrations.connectors.sap_s4hana.client import SapClient, datetime_literal

# entity -> (service, entity set, key field, $expand, mapping to the schema's fields, schema)
ENTITIES: dict[str, tuple[str, str, str, str | None, Any, type[unified.UnifiedRecord]]] = {
    "work_orders": (
        "API_MAINTENANCEORDER",
        "MaintenanceOrder",
        "MaintenanceOrder",
        None,
        mapping.work_order_fields,
        unified.WorkOrder,
    ),
    "assets": (
        "API_EQUIPMENT",
        "Equipment",
        "Equipment",
        None,
        mapping.asset_fields,
        unified.Asset,
    ),
    "purchase_orders": (
        "API_PURCHASEORDER_PROCESS_SRV",
        "A_PurchaseOrder",
        "PurchaseOrder",
        "to_PurchaseOrderItem",
        mapping.purchase_order_fields,
        unified.PurchaseOrder,
    ),
}


@register
class SapS4HanaConnector(Connector):
    system = "sap_s4hana"
    entities = tuple(ENTITIES)
    push_operations = ("work_order.complete",)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.odata = SapClient(self.http, self.credentials)

    def check(self) -> None:
        self.odata.get("/API_MAINTENANCEORDER/MaintenanceOrder", {"$top": "1"})

    def list_page(
        self, entity: str, *, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page:
        self.require_entity(entity)
        service, entity_set, key, expand, fields, schema = ENTITIES[entity]
        params = {"$orderby": f"LastChangeDateTime asc,{key} asc", "$inlinecount": "allpages"}
        if since is not None:
            params["$filter"] = f"LastChangeDateTime ge {datetime_literal(since)}"
        if expand:
            params["$expand"] = expand
        # SAP decides the page size (server-driven paging); the cursor is its __next link.
        rows, next_url = self.odata.list(f"/{service}/{entity_set}", params, cursor)
        records, failures = map_page(rows, fields, schema, key=lambda row: row.get(key), raw=_strip)
        return Page(records=records, next_cursor=next_url or None, failures=failures)

    def get(self, entity: str, remote_id: str) -> RemoteRecord:
        self.require_entity(entity)
        service, entity_set, _, expand, fields, schema = ENTITIES[entity]
        quoted = remote_id.replace("'", "''")
        row = self.odata.get(
            f"/{service}/{entity_set}('{quoted}')", {"$expand": expand} if expand else None
        )
        return RemoteRecord(schema(**fields(row)), _strip(row))

    def push(self, operation: str, payload: dict[str, Any], *, key: str) -> str:
        if operation != "work_order.complete":
            raise Unsupported(f"SAP connector does not support {operation!r}.")
        order = str(payload["remote_id"]).replace("'", "''")
        # GUESS (see reference notes): technical completion as a function import of the service.
        self.odata.write(
            "POST",
            "/API_MAINTENANCEORDER/TechnicallyCompleteMaintOrder",
            service_root="/API_MAINTENANCEORDER/",
            json={"MaintenanceOrder": order},
        )
        return str(payload["remote_id"])


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    """The raw record without OData bookkeeping (``__metadata``, deferred navigations)."""
    return {
        k: v
        for k, v in row.items()
        if k != "__metadata" and not (isinstance(v, dict) and "__deferred" in v)
    }
