"""IBM Maximo Manage through its REST/JSON API (object structures, lean JSON)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.connectors.base import Connector, Page, RemoteRecord, map_rows, register
from integrations.connectors.errors import RemoteError, RemoteNotFound, Unsupported
from integrations.connectors.maximo import mapping
from integrations.connectors.maximo.client import MaximoClient

# entity -> (object structure, key attribute, oslc.select, mapping)
ENTITIES: dict[str, tuple[str, str, str, Any]] = {
    "work_orders": (
        "mxapiwodetail",
        "workorderid",
        "workorderid,wonum,description,description_longdescription,status,worktype,"
        "wopriority,assetnum,location,siteid,schedstart,schedfinish,targcompdate,actfinish,"
        "changedate,labtrans{laborcode,regularhrs,startdatetime,finishdatetime}",
        mapping.work_order_from_remote,
    ),
    "assets": (
        "mxapiasset",
        "assetnum",
        "assetnum,description,status,assettype,location,parent,serialnum,manufacturer,"
        "itemnum,installdate,siteid,changedate",
        mapping.asset_from_remote,
    ),
    "locations": (
        "mxapilocation",
        "location",
        "location,description,type,status,parent,siteid,changedate",
        mapping.location_from_remote,
    ),
}


@register
class MaximoConnector(Connector):
    system = "maximo"
    entities = tuple(ENTITIES)
    push_operations = ("work_order.complete", "meter_reading.record")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.api = MaximoClient(self.http, self.credentials)

    def check(self) -> None:
        self.api.get("/maximo/api/os/mxapiwodetail", {"lean": "1", "oslc.pageSize": "1"})

    def list_page(
        self, entity: str, *, since: datetime | None, cursor: str | None, page_size: int
    ) -> Page:
        self.require_entity(entity)
        structure, key, select, to_unified = ENTITIES[entity]
        if cursor:  # responseInfo.nextPage.href keeps every query option and the page number
            members, next_page = self.api.collection(cursor, None)
        else:
            params = {
                "lean": "1",
                "oslc.select": select,
                "oslc.orderBy": f"+changedate,+{key}",
                "oslc.pageSize": str(page_size),
                # Without stable paging, rows changing mid-run move between pages.
                "stablepaging": "true",
            }
            if since is not None:
                params["oslc.where"] = f'changedate>="{mapping.format_datetime(since)}"'
            members, next_page = self.api.collection(f"/maximo/api/os/{structure}", params)
        rows = [_strip(member) for member in members]
        records, failures = map_rows(rows, to_unified, key=lambda row: row.get(key))
        return Page(records=records, next_cursor=next_page, failures=failures)

    def get(self, entity: str, remote_id: str) -> RemoteRecord:
        self.require_entity(entity)
        structure, key, select, to_unified = ENTITIES[entity]
        quoted = remote_id.replace('"', "")
        members, _ = self.api.collection(
            f"/maximo/api/os/{structure}",
            {"lean": "1", "oslc.select": select, "oslc.where": f'{key}="{quoted}"'},
        )
        if not members:
            raise RemoteNotFound(f"Maximo has no {structure} {remote_id}.")
        row = _strip(members[0])
        return RemoteRecord(to_unified(row), row)

    def push(self, operation: str, payload: dict[str, Any], *, key: str) -> str:
        if operation == "meter_reading.record":
            return self._push_reading(payload)
        if operation != "work_order.complete":
            raise Unsupported(f"Maximo does not support {operation!r}.")
        # A status change is the wsmethod:changeStatus action on the work order resource.
        # Completing an order already COMP changes nothing, so a repeated push is harmless.
        remote_id = str(payload["remote_id"])
        self.api.post(
            f"/maximo/api/os/mxapiwodetail/{remote_id}",
            {"status": "COMP", "date": payload.get("completed_at"), "memo": key[:50]},
            action="wsmethod:changeStatus",
        )
        return remote_id

    def _push_reading(self, payload: dict[str, Any]) -> str:
        """A FieldOps meter reading becomes the ``newreading`` of the asset's meter of the same
        name (``assetmeter`` of ``mxapiasset``, merged into the asset resource). Exactly once:
        when the meter's last reading already is this one (same time to the second, same
        value) an earlier attempt got through and nothing is sent."""
        assetnum = str(payload["asset_remote_id"])
        quoted = assetnum.replace('"', "")
        members, _ = self.api.collection(
            "/maximo/api/os/mxapiasset",
            {
                "lean": "1",
                "oslc.select": "assetnum,siteid,assetmeter{metername,lastreading,lastreadingdate}",
                "oslc.where": f'assetnum="{quoted}"',
            },
        )
        if not members:
            raise RemoteNotFound(f"Maximo has no asset {assetnum}.")
        asset = members[0]
        # The meter of the same name, or the one the connection maps it to.
        name = str(payload.get("meter_name") or "")
        wanted = str(self.options.get("meter_names", {}).get(name) or name).strip().upper()
        meter = next(
            (
                m
                for m in asset.get("assetmeter") or []
                if str(m.get("metername", "")).upper() == wanted
            ),
            None,
        )
        if meter is None:
            raise RemoteError(f"Maximo asset {assetnum} has no meter {wanted}.")
        taken = mapping.parse_datetime(payload["taken_at"])
        value = Decimal(str(payload["value"]))
        done = f"{assetnum}/{meter['metername']}@{mapping.format_datetime(taken)}"
        last_at = mapping.parse_datetime(meter.get("lastreadingdate"))
        last = meter.get("lastreading")
        if (
            last_at == taken.replace(microsecond=0)
            and last not in (None, "")
            and Decimal(str(last)) == value
        ):
            return done
        self.api.merge(
            asset["href"],
            {
                "assetmeter": [
                    {
                        "metername": meter["metername"],
                        "linearassetmeterid": 0,
                        "newreading": str(payload["value"]),
                        "newreadingdate": mapping.format_datetime(taken),
                    }
                ]
            },
        )
        return done


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    """The record without OSLC bookkeeping (``href``, ``_rowstamp``, ``*_collectionref``)."""
    return {
        k: v
        for k, v in row.items()
        if k not in ("href", "_rowstamp", "localref") and not k.endswith("_collectionref")
    }
