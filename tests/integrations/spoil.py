"""One bad record in each ERP's data: a value the mapping cannot read, in the second record of
the kit's entity (the first page with a page size of 2). Each returns the bad record's remote id.

The simulators' stored rows are changed directly; the real Tryton server is reached through
``TrytonSpoiler``, a transport that forwards every call to it and spoils one value of one answer,
as a customised server or a broken proxy would."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.integrations.simulators.base import wait_out_the_time_out


def sap(sim) -> str:
    row = sim.rows["/API_EQUIPMENT/Equipment"][1]
    row["OperationStartDate"] = "/Date(yesterday)/"  # Edm.DateTime is milliseconds
    return row["Equipment"]


def netsuite(sim) -> str:
    row = sim.records["inventoryItem"][1]
    row["cost"] = "7,25"  # a decimal comma
    return row["id"]


def business_central(sim) -> str:
    row = sim.rows["items"][1]
    row["unitCost"] = "n/a"
    return row["id"]


def maximo(sim) -> str:
    row = sim.rows["mxapiwodetail"][1]
    row["schedstart"] = "03/11/2026 08:00"
    return str(row["workorderid"])


class TrytonSpoiler(httpx.BaseTransport):
    """Forwards to the real server; in the first answer listing products with their cost price,
    the second product's cost price becomes text."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.spoiled: str | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        call = json.loads(request.content or b"{}")
        wanted = call.get("method") == "model.product.product.search_read" and "cost_price" in str(
            call.get("params")
        )
        if not wanted or self.spoiled is not None:
            return response
        body = json.loads(response.read())
        rows: list[dict[str, Any]] = body.get("result") or []
        if len(rows) >= 2:
            rows[1]["cost_price"] = "n/a"
            self.spoiled = str(rows[1]["id"])
        return httpx.Response(
            response.status_code,
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )

    def close(self) -> None:
        self.inner.close()


SIMULATED = {
    "sap_s4hana": sap,
    "netsuite": netsuite,
    "business_central": business_central,
    "maximo": maximo,
}


class TrytonSlow(httpx.BaseTransport):
    """Forwards the login to the real server; every model call answers later than the client's
    read time-out."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = json.loads(request.content or b"{}")
        if str(call.get("method", "")).startswith("model."):
            wait_out_the_time_out(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
