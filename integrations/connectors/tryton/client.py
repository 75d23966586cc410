"""Tryton's JSON-RPC wire protocol: login session, typed values, errors in a 200 body.

``POST /<db>/rpc/`` with ``{"id", "method", "params"}``; ``common.db.login`` returns
``[user_id, session, bus_url]`` and later calls send ``Authorization: Session
base64(login:user_id:session)``. Dates, datetimes, Decimals and timedeltas travel as
``{"__class__": ...}`` objects. Application errors come back with HTTP 200 and
``{"error": [type, details]}``; a missing or expired session is HTTP 401.
"""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from integrations.connectors.errors import AuthFailed, MalformedResponse, RemoteError
from integrations.connectors.http import HttpClient, json_body


def encode(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None)  # Tryton stores naive UTC
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("__class__")
    if kind == "datetime":
        return datetime(
            value["year"],
            value["month"],
            value["day"],
            value["hour"],
            value["minute"],
            value["second"],
            value.get("microsecond", 0),
            tzinfo=UTC,
        )
    if kind == "date":
        return date(value["year"], value["month"], value["day"])
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "timedelta":
        return timedelta(seconds=value["seconds"])
    return {k: decode(v) for k, v in value.items()}


class TrytonClient:
    def __init__(self, http: HttpClient, *, database: str, login: str, password: str):
        self.http = http
        self.database = database
        self.login = login
        self.password = password
        self._session: str | None = None
        self._ids = itertools.count(1)

    def _post(self, method: str, params: list[Any], *, auth: bool) -> Any:
        """One JSON-RPC call; a login (``auth=False``) is auxiliary for the breaker."""
        headers = {}
        if auth:
            headers["Authorization"] = (
                "Session "
                + base64.b64encode(
                    self._session.encode()  # type: ignore[union-attr]
                ).decode()
            )
        response = self.http.request(
            "POST",
            f"/{self.database}/rpc/",
            json={"id": next(self._ids), "method": method, "params": encode(params)},
            headers=headers,
            auxiliary=not auth,
        )
        body = json_body(response)
        if not isinstance(body, dict):
            raise MalformedResponse("JSON-RPC answer is not an object.")
        if body.get("error"):
            kind, details = (body["error"] + [None, None])[:2]
            message = details[0] if isinstance(details, list) and details else details
            if kind in ("LoginException", "403"):
                raise AuthFailed(f"Tryton refused the login: {message}")
            raise RemoteError(f"Tryton {kind}: {message}")
        if "result" not in body:
            raise MalformedResponse("JSON-RPC answer has neither result nor error.")
        return decode(body["result"])

    def authenticate(self) -> None:
        result = self._post(
            "common.db.login", [self.login, {"password": self.password}, "en"], auth=False
        )
        if not isinstance(result, list) or len(result) < 2 or not result[1]:
            raise AuthFailed("Tryton refused the login.")
        self._session = f"{self.login}:{result[0]}:{result[1]}"

    def call(self, method: str, *params: Any) -> Any:
        if self._session is None:
            self.authenticate()
        try:
            return self._post(method, list(params), auth=True)
        except AuthFailed:
            # A session expires (or the server restarted): log in again once; a second
            # refusal means the credentials themselves are wrong.
            self.authenticate()
            return self._post(method, list(params), auth=True)

    def model(self, model: str, method: str, *params: Any, context: dict | None = None) -> Any:
        return self.call(f"model.{model}.{method}", *params, context or {})
