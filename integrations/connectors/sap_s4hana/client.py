"""SAP S/4HANA OData v2: verbose JSON envelope, server-driven paging, CSRF for writes.

Lists come as ``{"d": {"results": [...], "__next": "<url with $skiptoken>"}}``, one entity as
``{"d": {...}}``; errors as ``{"error": {"code", "message": {"lang", "value"}}}``. Writes need a
CSRF token: a GET with ``X-CSRF-Token: Fetch`` returns the token and a session cookie, both sent
with the write; a missing or stale token is 403 "CSRF token validation failed", after which we
fetch a new token once.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx

from integrations.connectors.errors import RemoteError
from integrations.connectors.http import HttpClient, expect, json_body


def error_text(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('code', '')}: {error['message']['value']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:300]


def datetime_literal(value: datetime) -> str:
    return "datetimeoffset'" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "Z'"


class SapClient:
    def __init__(self, http: HttpClient, credentials: dict[str, Any]):
        self.http = http
        self.headers: dict[str, str] = {}
        if credentials.get("api_key"):
            self.headers["APIKey"] = credentials["api_key"]
        else:
            pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self._csrf: str | None = None

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.http.request(
            "GET",
            path,
            params={"$format": "json", **(params or {})},
            headers=self.headers,
            error_text=error_text,
        )
        body = json_body(response)
        expect(isinstance(body, dict) and isinstance(body.get("d"), dict), "no 'd' object")
        return body["d"]

    def list(
        self, path: str, params: dict[str, str] | None, next_url: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if next_url:
            # __next is absolute and already carries every query option.
            response = self.http.request(
                "GET", next_url, headers=self.headers, error_text=error_text
            )
            body = json_body(response)
            expect(isinstance(body, dict) and isinstance(body.get("d"), dict), "no 'd' object")
            data = body["d"]
        else:
            data = self.get(path, params)
        results = data.get("results")
        expect(isinstance(results, list), "no 'd.results' list")
        return results, data.get("__next")

    def _fetch_csrf(self, path: str) -> None:
        response = self.http.request(
            "GET",
            path,
            headers={**self.headers, "X-CSRF-Token": "Fetch"},
            error_text=error_text,
            auxiliary=True,
        )
        token = response.headers.get("X-CSRF-Token")
        if not token:
            raise RemoteError("SAP returned no CSRF token.")
        self._csrf = token  # the session cookie stays in the httpx cookie jar

    def write(
        self, method: str, path: str, *, service_root: str, json: dict | None = None
    ) -> httpx.Response:
        for attempt in (1, 2):
            if self._csrf is None:
                self._fetch_csrf(service_root)
            response = self.http.request(
                method,
                path,
                json=json,
                headers={**self.headers, "X-CSRF-Token": self._csrf or ""},
                error_text=error_text,
                ok_statuses=(403,),
            )
            if response.status_code != 403:
                return response
            if "CSRF token validation failed" not in response.text or attempt == 2:
                raise RemoteError(f"SAP refused the write (403): {error_text(response)}")
            self._csrf = None  # token expired with its session: fetch a new one
        raise AssertionError("unreachable")
