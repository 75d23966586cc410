"""An SAP S/4HANA OData v2 gateway: d/results/__next, /Date()/, strings for numbers, CSRF."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.integrations.simulators.base import Simulator, json_response

SETS = {
    "/API_MAINTENANCEORDER/MaintenanceOrder": "MaintenanceOrder",
    "/API_EQUIPMENT/Equipment": "Equipment",
    "/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrder": "PurchaseOrder",
}
FILTER_RE = re.compile(r"LastChangeDateTime ge datetimeoffset'([^']+)'")


def sap_date(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


class SapSimulator(Simulator):
    def __init__(self, *, page_size: int = 2, username: str = "FIELDOPS", password: str = "s3cret"):  # noqa: S107
        super().__init__()
        self.page_size = page_size
        self.auth = httpx.BasicAuth(username, password)._auth_header
        self.rows: dict[str, list[dict]] = {path: [] for path in SETS}
        self.csrf_token: str | None = None
        self.session_cookie = secrets.token_hex(8)
        self.completed: list[str] = []

    def put(self, entity_set: str, row: dict) -> None:
        path = next(p for p in SETS if p.endswith("/" + entity_set))
        key = SETS[path]
        self.rows[path] = [r for r in self.rows[path] if r[key] != row[key]] + [row]

    def error(self, status, message, headers=None):
        return json_response(
            {"error": {"code": "SY/530", "message": {"lang": "en", "value": message}}},
            status,
            headers,
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != self.auth:
            return self.error(401, "Logon failed")
        path = request.url.path.removeprefix("/sap/opu/odata/sap")
        if request.headers.get("X-CSRF-Token") == "Fetch":
            self.csrf_token = secrets.token_urlsafe(12)
            return json_response(
                {"d": {"EntitySets": list(SETS)}},
                headers={
                    "X-CSRF-Token": self.csrf_token,
                    "Set-Cookie": f"SAP_SESSIONID_S4H_100={self.session_cookie}; path=/",
                },
            )
        if request.method != "GET":
            cookie = request.headers.get("Cookie", "")
            if (
                not self.csrf_token
                or request.headers.get("X-CSRF-Token") != self.csrf_token
                or self.session_cookie not in cookie
            ):
                return httpx.Response(
                    403, text="CSRF token validation failed", headers={"x-csrf-token": "Required"}
                )
            if path.endswith("/TechnicallyCompleteMaintOrder"):
                import json

                order = json.loads(request.content)["MaintenanceOrder"]
                self.completed.append(order)
                return json_response({"d": {"MaintenanceOrder": order}})
            return self.error(405, "Method not allowed")
        single = re.fullmatch(r"(/[^/]+/[^(]+)\('([^']*)'\)", path)
        if single:
            base, key_value = single.groups()
            for row in self.rows.get(base, []):
                if row[SETS[base]] == key_value:
                    return json_response({"d": self._entity(base, row)})
            return self.error(404, f"Resource not found for segment '{key_value}'")
        if path not in self.rows:
            return self.error(404, "Resource not found")
        return self._list(request, path)

    def _sorted(self, path: str) -> list[dict]:
        # Sorted once per version of the list (the benchmark pages through 100,000 rows).
        source = self.rows[path]
        key = (id(source), len(source))
        cached = getattr(self, "_sort_cache", {}).get(path)
        if cached and cached[0] == key:
            return cached[1]
        ordered = sorted(source, key=lambda r: (_ms(r["LastChangeDateTime"]), r[SETS[path]]))
        self._sort_cache = {**getattr(self, "_sort_cache", {}), path: (key, ordered)}
        return ordered

    def _entity(self, path: str, row: dict) -> dict:
        body = {"__metadata": {"uri": f"{path}('{row[SETS[path]]}')", "type": "x"}, **row}
        if "to_PurchaseOrderItem" in row:
            body["to_PurchaseOrderItem"] = {"results": row["to_PurchaseOrderItem"]}
        return body

    def _list(self, request: httpx.Request, path: str) -> httpx.Response:
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        rows = self._sorted(path)
        match = FILTER_RE.search(query.get("$filter", ""))
        if match:
            since = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
            rows = [r for r in rows if _ms(r["LastChangeDateTime"]) >= since]
        skip = int(query.get("$skiptoken", "0"))
        page = rows[skip : skip + self.page_size]
        body: dict = {"results": [self._entity(path, r) for r in page]}
        if query.get("$inlinecount") == "allpages":
            body["__count"] = str(len(rows))
        if skip + self.page_size < len(rows):
            query["$skiptoken"] = str(skip + self.page_size)
            body["__next"] = (
                f"{request.url.scheme}://{request.url.netloc.decode()}"
                f"{request.url.path}?{urlencode(query)}"
            )
        return json_response({"d": body})


def _ms(value: str) -> datetime:
    return datetime.fromtimestamp(int(re.search(r"\d+", value).group()) / 1000, tz=UTC)
