"""A Business Central API v2.0 endpoint with its Entra ID token endpoint."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.integrations.simulators.base import Simulator, json_response

COMPANY = "f3a1c9d2-0000-4000-8000-000000000001"
SETS = {"items", "vendors", "employees", "purchaseOrders"}


class BusinessCentralSimulator(Simulator):
    def __init__(self, *, max_page: int = 20000):
        super().__init__()
        self.max_page = max_page
        self.rows: dict[str, list[dict]] = {name: [] for name in SETS}
        self.client_secret = "bc-secret-value"

    def error(self, status, message, headers=None):
        code = {401: "Unauthorized", 429: "TooManyRequests", 503: "ServiceUnavailable"}.get(
            status, "Internal_ServerError"
        )
        return json_response({"error": {"code": code, "message": message}}, status, headers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/v2.0/token"):
            form = parse_qs(request.content.decode())
            if form.get("client_secret") != [self.client_secret]:
                return json_response(
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                    },
                    400,
                )
            token = self.issue_token("tok")
            return json_response(
                {"token_type": "Bearer", "expires_in": 3599, "access_token": token}
            )
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.tokens:
            return self.error(401, "The credentials provided are incorrect")
        match = re.search(r"/companies\(([^)]+)\)/(\w+)(?:\(([^)]+)\))?$", request.url.path)
        if not match or match.group(1) != COMPANY or match.group(2) not in SETS:
            return self.error(404, "The requested resource was not found.")
        _, entity_set, key = match.groups()
        rows = sorted(self.rows[entity_set], key=lambda r: (r["lastModifiedDateTime"], r["id"]))
        if key:
            row = next((r for r in rows if r["id"] == key), None)
            if row is None:
                return self.error(404, f"The {entity_set} does not exist.")
            return json_response({"@odata.etag": 'W/"1"', **row})
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        since = re.search(r"lastModifiedDateTime ge (\S+)", query.get("$filter", ""))
        if since:
            moment = datetime.fromisoformat(since.group(1).replace("Z", "+00:00"))
            rows = [
                r
                for r in rows
                if datetime.fromisoformat(r["lastModifiedDateTime"].replace("Z", "+00:00"))
                >= moment
            ]
        prefer = re.search(r"odata.maxpagesize=(\d+)", request.headers.get("Prefer", ""))
        size = min(int(prefer.group(1)) if prefer else self.max_page, self.max_page)
        skip = int(query.pop("$skiptoken", "0"))
        body = {
            "@odata.context": f"{request.url.scheme}://x/$metadata#{entity_set}",
            "value": rows[skip : skip + size],
        }
        if skip + size < len(rows):
            query["$skiptoken"] = str(skip + size)
            body["@odata.nextLink"] = (
                f"{request.url.scheme}://{request.url.netloc.decode()}"
                f"{request.url.path}?{urlencode(query)}"
            )
        return json_response(body)


def item(number: str, name: str, modified: str, **extra) -> dict:
    return {
        "id": f"a1b2c3d4-0000-4000-8000-{number.zfill(12)}",
        "number": number,
        "displayName": name,
        "type": "Inventory",
        "itemCategoryCode": "PARTS",
        "blocked": False,
        "gtin": "",
        "inventory": 12,
        "unitPrice": 12.5,
        "unitCost": 7.25,
        "priceIncludesTax": False,
        "baseUnitOfMeasureCode": "PCS",
        "lastModifiedDateTime": modified,
        **extra,
    }
