"""An IBM Maximo Manage REST endpoint: object structures in lean JSON, ``apikey`` header,
``oslc.where``/``oslc.orderBy``/``oslc.pageSize`` with ``responseInfo.nextPage``, Maximo error
bodies, the changeStatus action, and meter readings merged into an asset's ``assetmeter``
(``x-method-override: PATCH`` + ``patchtype: MERGE``)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from urllib.parse import urlencode

import httpx

from tests.integrations.simulators.base import Simulator, json_response

KEYS = {"mxapiwodetail": "workorderid", "mxapiasset": "assetnum", "mxapilocation": "location"}
WHERE = re.compile(r'^(\w+)(>=|=|>)"([^"]*)"$')


class MaximoSimulator(Simulator):
    def __init__(
        self, *, apikey: str = "mx-key-123", slow_page: int | None = None, slow: float = 0
    ):
        super().__init__()
        self.apikey = apikey
        self.rows: dict[str, list[dict]] = {name: [] for name in KEYS}
        self.status_changes: list[tuple[str, str]] = []
        # (assetnum, metername, reading, reading date) for every reading Maximo accepted.
        self.meter_readings: list[tuple[str, str, str, str]] = []
        # Pages at or after ``slow_page`` answer after ``slow`` seconds (to kill a worker mid-run).
        self.slow_page, self.slow = slow_page, slow

    def error(self, status, message, headers=None):
        code = {401: "BMXAA0021E", 429: "BMXAA9549E", 503: "BMXAA1234E"}.get(status, "BMXAA4214E")
        body = {
            "Error": {
                "extendedError": {"moreInfo": {"href": "http://x/maximo/api/error/messages/x"}},
                "reasonCode": code,
                "message": f"{code} - {message}",
                "statusCode": str(status),
            }
        }
        return json_response(body, status, headers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("apikey") != self.apikey:
            return self.error(401, "User name and password combination are not valid.")
        match = re.search(r"/maximo/api/os/(\w+)(?:/([^/]+))?$", request.url.path)
        if not match or match.group(1) not in KEYS:
            return self.error(404, "The object structure was not found.")
        structure, resource = match.groups()
        params = dict(request.url.params)
        if request.method == "POST" and resource and "action" not in params:
            return self._merge(structure, resource, request)
        if request.method == "POST" and resource:
            return self._change_status(structure, resource, request, params)
        if params.get("lean") != "1":
            return self.error(400, "This simulator only speaks lean JSON.")
        rows = sorted(
            self.rows[structure], key=lambda r: (r["changedate"], str(r[KEYS[structure]]))
        )
        if where := params.get("oslc.where"):
            clause = WHERE.match(where)
            if not clause:
                return self.error(400, "BMXAA8744E - The OSLC query was not parsed.")
            attr, _op, value = clause.groups()
            if attr == "changedate":
                moment = datetime.fromisoformat(value)
                rows = [r for r in rows if datetime.fromisoformat(r["changedate"]) >= moment]
            else:
                rows = [r for r in rows if str(r.get(attr)) == value]
        size = int(params.get("oslc.pageSize", 1000))
        page = int(params.get("pageno", 1))
        if self.slow_page and page >= self.slow_page:
            time.sleep(self.slow)
        chunk = rows[(page - 1) * size : page * size]
        base = f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
        info = {
            "href": f"{base}?{urlencode(params)}",
            "totalCount": len(rows),
            "totalPages": max(1, -(-len(rows) // size)),
            "pagenum": page,
        }
        if page * size < len(rows):
            info["nextPage"] = {"href": f"{base}?{urlencode({**params, 'pageno': page + 1})}"}
        members = [
            {"href": f"{base}/{r[KEYS[structure]]}", "_rowstamp": "123456", **r} for r in chunk
        ]
        return json_response({"member": members, "responseInfo": info})

    def _change_status(self, structure, resource, request, params) -> httpx.Response:
        if params.get("action") != "wsmethod:changeStatus":
            return self.error(400, "Unknown action.")
        row = next((r for r in self.rows[structure] if str(r[KEYS[structure]]) == resource), None)
        if row is None:
            return self.error(404, f"BMXAA4214E - Record {resource} not found.")

        status = json.loads(request.content)["status"]
        if row["status"] != status:
            row["status"] = status
            self.status_changes.append((resource, status))
        return httpx.Response(204)

    def _merge(self, structure, resource, request) -> httpx.Response:
        if (
            request.headers.get("x-method-override") != "PATCH"
            or request.headers.get("patchtype") != "MERGE"
        ):
            return self.error(400, "BMXAA9487E - A POST to a member needs an override.")
        row = next((r for r in self.rows[structure] if str(r[KEYS[structure]]) == resource), None)
        if row is None:
            return self.error(404, f"BMXAA4214E - Record {resource} not found.")
        for change in json.loads(request.content).get("assetmeter", []):
            meter = next(
                (m for m in row.get("assetmeter", []) if m["metername"] == change["metername"]),
                None,
            )
            if meter is None:
                return self.error(
                    400, f"BMXAA2661E - Meter {change['metername']} is not on asset {resource}."
                )
            when = change.get("newreadingdate")
            last = meter.get("lastreadingdate")
            continuous = meter.get("metertype") == "CONTINUOUS" and last and when
            if continuous and datetime.fromisoformat(when) <= datetime.fromisoformat(last):
                return self.error(
                    400, "BMXAA2514E - The reading date must be after the last reading."
                )
            meter["lastreading"], meter["lastreadingdate"] = change["newreading"], when
            self.meter_readings.append((resource, change["metername"], change["newreading"], when))
        return httpx.Response(204)


def work_order(workorderid: int, wonum: str, changed: str, **extra) -> dict:
    return {
        "workorderid": workorderid,
        "wonum": wonum,
        "description": "Replace pump seal",
        "description_longdescription": "Seal leaking on P-101; replace and test.",
        "status": "APPR",
        "status_description": "Approved",
        "worktype": "CM",
        "wopriority": 2,
        "assetnum": "PUMP-101",
        "location": "BLDG-A",
        "siteid": "BEDFORD",
        "schedstart": "2026-11-03T08:00:00-05:00",
        "schedfinish": "2026-11-03T12:00:00-05:00",
        "targcompdate": "2026-11-04T17:00:00-05:00",
        "changedate": changed,
        "labtrans_collectionref": "http://x/maximo/api/os/mxapiwodetail/_QkVE/labtrans",
        "labtrans": [
            {
                "laborcode": "WILSON",
                "regularhrs": 1.5,
                "startdatetime": "2026-11-03T08:00:00-05:00",
                "finishdatetime": "2026-11-03T09:30:00-05:00",
            }
        ],
        **extra,
    }


def asset(assetnum: str, changed: str, **extra) -> dict:
    return {
        "assetnum": assetnum,
        "description": f"Centrifugal pump {assetnum}",
        "status": "OPERATING",
        "assettype": "PUMP",
        "location": "BLDG-A",
        "parent": "",
        "serialnum": f"SN-{assetnum}",
        "manufacturer": "KSB",
        "itemnum": "ETN-65-200",
        "installdate": "2020-03-01T00:00:00-05:00",
        "siteid": "BEDFORD",
        "changedate": changed,
        **extra,
    }
