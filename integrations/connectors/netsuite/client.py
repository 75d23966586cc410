"""Oracle NetSuite SuiteTalk REST: OAuth 2 client credentials (M2M), the record API and SuiteQL.

The token comes from ``POST /services/rest/auth/oauth2/v1/token`` with a JWT client assertion
signed (PS256) by the integration's certificate key, ``kid`` = the certificate id. Collections
(record API lists and SuiteQL) page with ``limit``/``offset`` and answer ``{"links", "count",
"hasMore", "items", "offset", "totalResults"}``; a record-API list holds ids and links only.
Errors are ``{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}``. The
account's limit is on *concurrent* requests (429 when exceeded), which the connection's
concurrency cap (``Connection.max_concurrency``) keeps us under.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from integrations.connectors.errors import AuthFailed
from integrations.connectors.http import HttpClient, expect, json_body
from integrations.connectors.tokens import CachedToken

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"  # noqa: S105 (a path, not a secret)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        details = body.get("o:errorDetails") or []
        first = details[0] if details else {}
        return f"{first.get('o:errorCode', body.get('title', ''))}: {first.get('detail', '')}"
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return response.text[:300]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_assertion(
    *, client_id: str, certificate_id: str, private_key_pem: str, audience: str
) -> str:
    """A PS256 JWT as NetSuite's M2M flow wants it (``kid`` = certificate id)."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    now = int(time.time())
    header = {"alg": "PS256", "typ": "JWT", "kid": certificate_id}
    claims = {
        "iss": client_id,
        "scope": ["restlets", "rest_webservices"],
        "aud": audience,
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(  # type: ignore[union-attr, call-arg]
        signing_input.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size),
        hashes.SHA256(),
    )
    return f"{signing_input}.{_b64(signature)}"


class NetSuiteClient:
    def __init__(self, http: HttpClient, credentials: dict[str, Any]):
        self.http = http
        self.credentials = credentials
        self.token = CachedToken(self._authenticate)

    def _authenticate(self) -> tuple[str, float]:
        try:
            assertion = client_assertion(
                client_id=self.credentials.get("client_id", ""),
                certificate_id=self.credentials.get("certificate_id", ""),
                private_key_pem=self.credentials.get("private_key", ""),
                audience=str(self.http.client.base_url) + TOKEN_PATH,
            )
        except (ValueError, TypeError):
            raise AuthFailed("The stored NetSuite private key is not a valid PEM key.") from None
        response = self.http.request(
            "POST",
            TOKEN_PATH,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            },
            error_text=error_text,
            ok_statuses=(400,),
            auxiliary=True,
        )
        body = json_body(response)
        if response.status_code == 400 or "access_token" not in body:
            raise AuthFailed(f"NetSuite refused the token request: {body.get('error', body)}")
        return body["access_token"], float(body.get("expires_in", 3600))

    def request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        extra = kwargs.pop("headers", {})

        def call(token: str) -> Any:
            headers = {"Authorization": f"Bearer {token}", **extra}
            return self.http.request(method, url, headers=headers, error_text=error_text, **kwargs)

        response = self.token.send(call)
        body = json_body(response)
        expect(isinstance(body, dict), "not a JSON object")
        return body

    def collection(self, method: str, url: str, **kwargs: Any) -> tuple[list[dict], bool]:
        body = self.request(method, url, **kwargs)
        items = body.get("items")
        expect(isinstance(items, list), "no 'items' list")
        expect(isinstance(body.get("hasMore"), bool), "no 'hasMore' flag")
        return items, body["hasMore"]

    def suiteql(self, query: str, *, limit: int, offset: int) -> tuple[list[dict], bool]:
        return self.collection(
            "POST",
            "/services/rest/query/v1/suiteql",
            params={"limit": str(limit), "offset": str(offset)},
            json={"q": query},
            headers={"Prefer": "transient"},
        )

    def record(self, record_type: str, record_id: str, **params: str) -> dict[str, Any]:
        return self.request(
            "GET", f"/services/rest/record/v1/{record_type}/{record_id}", params=params
        )
