"""A NetSuite SuiteTalk REST account: M2M token endpoint (PS256 JWT assertions verified with the
certificate's public key), SuiteQL, the record API, ``o:errorDetails`` errors and a limit on
concurrent requests (429 CONCURRENCY_LIMIT_EXCEEDED)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.integrations.simulators.base import Simulator, json_response

TABLES = {
    "item": "inventoryItem",
    "vendor": "vendor",
    "employee": "employee",
    "location": "location",
}
PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_KEY_PEM = PRIVATE_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
CERTIFICATE_ID = "cert-7f3a"
CLIENT_ID = "fieldops-m2m"
TS = re.compile(r"TO_TIMESTAMP\('([^']+)', 'YYYY-MM-DD HH24:MI:SS'\)")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ns_time(moment: datetime) -> str:
    """SuiteQL's default datetime text."""
    return moment.astimezone(UTC).strftime("%m/%d/%Y %I:%M %p").lower()


class NetSuiteSimulator(Simulator):
    def __init__(self, *, page_limit: int = 1000, concurrency: int = 5, delay: float = 0.0):
        super().__init__()
        self.page_limit = page_limit
        self.concurrency = concurrency
        self.delay = delay
        self.in_flight = 0
        self.peak = 0
        self.rejected = 0
        self.gauge = threading.Lock()
        self.records: dict[str, list[dict]] = {t: [] for t in [*TABLES.values(), "purchaseOrder"]}

    def error(self, status, message, headers=None, code=None):
        code = code or {
            401: "INVALID_LOGIN",
            429: "CONCURRENCY_LIMIT_EXCEEDED",
            503: "SERVICE_UNAVAILABLE",
        }.get(status, "UNEXPECTED_ERROR")
        body = {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15",
            "title": message,
            "status": status,
            "o:errorDetails": [{"detail": message, "o:errorCode": code}],
        }
        return json_response(body, status, headers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.gauge:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            over = self.in_flight > self.concurrency
            if over:
                self.rejected += 1
        try:
            if over:
                return self.error(429, "Concurrent request limit exceeded. Request blocked.")
            if self.delay:
                time.sleep(self.delay)
            return super().__call__(request)
        finally:
            with self.gauge:
                self.in_flight -= 1

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/auth/oauth2/v1/token"):
            return self._token(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return self.error(401, "Invalid login attempt.")
        if path.endswith("/query/v1/suiteql"):
            return self._suiteql(request)
        match = re.search(r"/record/v1/(\w+)(?:/(\d+))?$", path)
        if not match or match.group(1) not in self.records:
            return self.error(404, "Record type not found.", code="NONEXISTENT_ID")
        record_type, record_id = match.groups()
        if record_id:
            row = next((r for r in self.records[record_type] if r["id"] == record_id), None)
            if row is None:
                return self.error(404, f"Record {record_id} was not found.", code="NONEXISTENT_ID")
            return json_response({"links": [{"rel": "self", "href": str(request.url)}], **row})
        return self._record_list(request, record_type)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        try:
            header_b64, claims_b64, signature = form["client_assertion"].split(".")
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(claims_b64))
            PRIVATE_KEY.public_key().verify(
                _unb64(signature),
                f"{header_b64}.{claims_b64}".encode(),
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                hashes.SHA256(),
            )
            expected = (CERTIFICATE_ID, CLIENT_ID, "client_credentials")
            if (header["kid"], claims["iss"], form["grant_type"]) != expected:
                raise ValueError("wrong client")
        except (KeyError, ValueError, InvalidSignature):
            return json_response({"error": "invalid_client"}, 400)
        token = self.issue_token("ns")
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _sorted(self, record_type: str) -> list[dict]:
        return sorted(
            self.records[record_type], key=lambda r: (r["lastModifiedDate"], int(r["id"]))
        )

    def _suiteql(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Prefer") != "transient":
            return self.error(400, "SuiteQL requires Prefer: transient.", code="INVALID_HEADER")
        query = json.loads(request.content)["q"]
        table = re.search(r"FROM (\w+)", query).group(1)
        rows = self._sorted(TABLES[table])
        stamps = [datetime.fromisoformat(t).replace(tzinfo=UTC) for t in TS.findall(query)]
        after_id = re.search(r"AND id > (\d+)", query)
        if "lastmodifieddate >=" in query:
            since, stamps = stamps[0], stamps[1:]
            rows = [r for r in rows if _dt(r) >= since]
        if after_id:
            at = stamps[0]
            rows = [
                r
                for r in rows
                if _dt(r) > at or (_dt(r) == at and int(r["id"]) > int(after_id.group(1)))
            ]
        params = dict(request.url.params)
        limit = min(int(params.get("limit", 1000)), self.page_limit)
        offset = int(params.get("offset", 0))
        page = [_suiteql_row(r) for r in rows[offset : offset + limit]]
        return json_response(
            {
                "links": [{"rel": "self", "href": str(request.url)}],
                "count": len(page),
                "hasMore": offset + limit < len(rows),
                "items": page,
                "offset": offset,
                "totalResults": len(rows),
            }
        )

    def _record_list(self, request: httpx.Request, record_type: str) -> httpx.Response:
        params = dict(request.url.params)
        rows = self._sorted(record_type)
        q = re.fullmatch(r'lastModifiedDate ON_OR_AFTER "([^"]+)"', params.get("q", ""))
        if params.get("q") and not q:
            return self.error(400, "Invalid search query.", code="INVALID_PARAMETER")
        if q:
            since = datetime.strptime(q.group(1).upper(), "%m/%d/%Y %I:%M %p").replace(tzinfo=UTC)
            rows = [r for r in rows if _dt(r).replace(second=0) >= since]
        limit = min(int(params.get("limit", 1000)), self.page_limit)
        offset = int(params.get("offset", 0))
        base = f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
        links = [{"rel": "self", "href": f"{base}?{urlencode(params)}"}]
        if offset + limit < len(rows):
            links.append(
                {"rel": "next", "href": f"{base}?{urlencode({**params, 'offset': offset + limit})}"}
            )
        page = rows[offset : offset + limit]
        return json_response(
            {
                "links": links,
                "count": len(page),
                "hasMore": offset + limit < len(rows),
                "items": [
                    {"links": [{"rel": "self", "href": f"{base}/{r['id']}"}], "id": r["id"]}
                    for r in page
                ],
                "offset": offset,
                "totalResults": len(rows),
            }
        )


def _dt(row: dict) -> datetime:
    return datetime.fromisoformat(row["lastModifiedDate"].replace("Z", "+00:00"))


def _suiteql_row(row: dict) -> dict:
    """A record as SuiteQL returns it: lowercase columns, references as ids, T/F, text dates."""
    out: dict = {"links": []}
    for key, value in row.items():
        name = key.lower()
        if isinstance(value, dict) and "id" in value:
            out[name] = value["id"]
            out[f"{name}_name"] = value.get("refName")
        elif isinstance(value, bool):
            out[name] = "T" if value else "F"
        elif key == "lastModifiedDate":
            out[name] = ns_time(_dt(row))
        else:
            out[name] = value
    return out


def inventory_item(record_id: str, code: str, name: str, modified: str, **extra) -> dict:
    return {
        "id": record_id,
        "itemId": code,
        "displayName": name,
        "purchaseDescription": f"{name} (purchase)",
        "cost": 7.25,
        "basePrice": 12.5,
        "isInactive": False,
        "stockUnit": {"id": "1", "refName": "ea"},
        "lastModifiedDate": modified,
        **extra,
    }


def employee(record_id: str, first: str, last: str, modified: str, **extra) -> dict:
    return {
        "id": record_id,
        "entityId": f"EMP-{record_id}",
        "firstName": first,
        "lastName": last,
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "isInactive": False,
        "hireDate": "2024-03-01",
        "lastModifiedDate": modified,
        **extra,
    }


def purchase_order(record_id: str, modified: str) -> dict:
    return {
        "id": record_id,
        "tranId": f"PO{record_id}",
        "tranDate": "2026-11-02",
        "entity": {"id": "301", "refName": "Bearings Direct"},
        "currency": {"id": "1", "refName": "EUR"},
        "orderStatus": {"id": "partiallyReceived", "refName": "Partially Received"},
        "total": 73.2,
        "lastModifiedDate": modified,
        "item": {
            "links": [],
            "items": [
                {
                    "links": [],
                    "line": 1,
                    "item": {"id": "501", "refName": "BRG-6204"},
                    "description": "Bearing 6204",
                    "quantity": 4,
                    "units": "ea",
                    "rate": 7.25,
                    "amount": 29.0,
                    "expectedReceiptDate": "2026-11-10",
                },
                {
                    "links": [],
                    "line": 2,
                    "item": {"id": "502", "refName": "FLT-100"},
                    "description": "Hydraulic filter",
                    "quantity": 2,
                    "units": "ea",
                    "rate": 22.1,
                    "amount": 44.2,
                },
            ],
        },
    }
