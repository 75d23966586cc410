"""Keyset (cursor) pagination: cost does not grow with how deep the client pages."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from django.db.models import Model, Q, QuerySet

from fieldops.errors import ValidationFailed

M = TypeVar("M", bound=Model)
MAX_LIMIT = 200


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return {"dt": value.isoformat()}
        if isinstance(value, UUID):
            return str(value)
        return value

    raw = json.dumps([plain(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return [datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in values]
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise ValidationFailed(
            "The cursor is not valid; start again without one.", details={"cursor": "invalid"}
        ) from None


def _after(keys: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order ``keys`` (each key may start with '-')."""
    condition = Q()
    for index, key in enumerate(keys):
        field = key.lstrip("-")
        op = "lt" if key.startswith("-") else "gt"
        step = Q(**{f"{field}__{op}": values[index]})
        for prior_key, prior_value in zip(keys[:index], values[:index], strict=True):
            step &= Q(**{prior_key.lstrip("-"): prior_value})
        condition |= step
    return condition


def cursor_paginate(
    queryset: QuerySet[M],
    *,
    cursor: str | None,
    limit: int,
    keys: tuple[str, ...] = ("id",),
) -> Page[M]:
    """One page of ``queryset`` ordered by ``keys`` (the last key must be unique)."""
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationFailed(details={"limit": f"Must be between 1 and {MAX_LIMIT}."})
    queryset = queryset.order_by(*keys)
    if cursor:
        queryset = queryset.filter(_after(keys, _decode(cursor, len(keys))))
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = _encode([_attr(last, key.lstrip("-")) for key in keys])
    return Page(items=items, next_cursor=next_cursor)


def _attr(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
