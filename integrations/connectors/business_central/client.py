"""Business Central API v2.0 (OData v4): ``value`` + ``@odata.nextLink``, OAuth 2 client
credentials, ``Prefer: odata.maxpagesize``; errors ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any

import httpx

from integrations.connectors.errors import AuthFailed
from integrations.connectors.http import HttpClient, expect, json_body
from integrations.connectors.tokens import CachedToken


def error_text(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('code', '')}: {error.get('message', '')}"
    except (ValueError, KeyError, TypeError):
        return response.text[:300]


class BusinessCentralClient:
    def __init__(self, http: HttpClient, credentials: dict[str, Any], options: dict[str, Any]):
        self.http = http
        self.credentials = credentials
        self.token_url = options.get("token_url", "")
        self.company = options.get("company_id", "")
        self.token = CachedToken(self._authenticate)

    def _authenticate(self) -> tuple[str, float]:
        response = self.http.request(
            "POST",
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.credentials.get("client_id", ""),
                "client_secret": self.credentials.get("client_secret", ""),
                "scope": "https://api.businesscentral.dynamics.com/.default",
            },
            error_text=error_text,
            ok_statuses=(400,),
            auxiliary=True,
        )
        body = json_body(response)
        if response.status_code == 400 or "access_token" not in body:
            raise AuthFailed(f"Token request refused: {body.get('error_description', body)}")
        return body["access_token"], float(body.get("expires_in", 3600))

    def get(
        self, url: str, params: dict[str, str] | None = None, page_size: int | None = None
    ) -> dict[str, Any]:
        def call(token: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"}
            if page_size:
                headers["Prefer"] = f"odata.maxpagesize={page_size}"
            return self.http.request(
                "GET", url, params=params, headers=headers, error_text=error_text
            )

        response = self.token.send(call)
        body = json_body(response)
        expect(isinstance(body, dict), "not a JSON object")
        return body

    def entity_url(self, entity_set: str) -> str:
        return f"/api/v2.0/companies({self.company})/{entity_set}"
