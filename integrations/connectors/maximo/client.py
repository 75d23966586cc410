"""IBM Maximo Manage REST/JSON ("OSLC") API: ``/maximo/api/os/<object structure>``.

Auth is an API key in the ``apikey`` header (no session). Queries use ``lean=1`` (plain JSON),
``oslc.select``, ``oslc.where`` (``changedate>="…"``), ``oslc.orderBy`` and ``oslc.pageSize``;
a collection answers ``{"member": [...], "responseInfo": {"nextPage": {"href"}, ...}}``.
Errors: ``{"Error": {"errorcode": "BMXAA…", "message", "statusCode", "reasonCode"}}`` (older
releases wrap it as ``{"oslc:Error": {"oslc:message", "spi:reasonCode"}}`` without lean).
"""

from __future__ import annotations

from typing import Any

import httpx

from integrations.connectors.http import HttpClient, expect, json_body


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        error = body.get("Error") or body.get("oslc:Error") or {}
        code = error.get("reasonCode") or error.get("errorcode") or error.get("spi:reasonCode")
        message = error.get("message") or error.get("oslc:message") or ""
        return f"{code or ''}: {message}"
    except (ValueError, AttributeError):
        return response.text[:300]


class MaximoClient:
    def __init__(self, http: HttpClient, credentials: dict[str, Any]):
        self.http = http
        self.headers = {"apikey": credentials.get("apikey", "")}

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.http.request(
            "GET", url, params=params, headers=self.headers, error_text=error_text
        )
        body = json_body(response)
        expect(isinstance(body, dict), "not a JSON object")
        return body

    def collection(
        self, url: str, params: dict[str, str] | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        body = self.get(url, params)
        members = body.get("member")
        expect(isinstance(members, list), "no 'member' list")
        next_page = (body.get("responseInfo") or {}).get("nextPage") or {}
        return members, next_page.get("href")

    def post(self, url: str, json: dict[str, Any], *, action: str) -> httpx.Response:
        return self.http.request(
            "POST",
            url,
            params={"lean": "1", "action": action},
            json=json,
            headers={**self.headers, "x-method-override": "PATCH"},
            error_text=error_text,
        )

    def merge(self, url: str, json: dict[str, Any]) -> httpx.Response:
        """Update a member resource in place: POST with ``x-method-override: PATCH`` and
        ``patchtype: MERGE`` (child rows such as ``assetmeter`` are merged, not replaced)."""
        return self.http.request(
            "POST",
            url,
            params={"lean": "1"},
            json=json,
            headers={**self.headers, "x-method-override": "PATCH", "patchtype": "MERGE"},
            error_text=error_text,
        )
