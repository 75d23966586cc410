from datetime import datetime
from typing import Any

from ninja import Field, Schema

from workorders.dispatch.services import PENDING_MAX


class PushIn(Schema):
    device_id: str = Field("", max_length=64, description="Stable id of the phone")
    device_now: datetime | None = Field(None, description="The device clock when sending")
    pending: int = Field(0, ge=0, le=PENDING_MAX, description="Changes still waiting on the device")
    mutations: list[Any] = Field(
        description="In order. Each: {id (uuid), kind, work_order?, occurred_at?, data}"
    )


class PushOut(Schema):
    results: list[dict[str, Any]]
    server_time: datetime


class PullOut(Schema):
    work_orders: list[dict[str, Any]]
    keep: list[str]
    cursor: str
