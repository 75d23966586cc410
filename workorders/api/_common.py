"""The one router the work-order endpoints register on, and what they share: where a change
comes from, and how a work order is answered."""

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.responses import NinjaJSONEncoder

from fieldops.accounts.models import Membership
from fieldops.errors import VersionConflict
from workorders.models import ChangeSource, WorkOrder
from workorders.schemas import WorkOrderOut
from workorders.selectors import work_order_out_by_ref


class _WorkOrderRouter(Router):
    """Operation ids stay those of the single module this package was split from
    (`workorders_api_<function>`): ninja derives them from the view's module, and clients
    generate code from them."""

    def add_api_operation(
        self,
        path: str,
        methods: list[str],
        view_func: Callable,
        *,
        operation_id: str | None = None,
        **options: Any,
    ) -> None:
        operation_id = operation_id or f"workorders_api_{view_func.__name__}"
        super().add_api_operation(path, methods, view_func, operation_id=operation_id, **options)


router = _WorkOrderRouter(tags=["work orders"])
JSON_CONTENT_TYPE = "application/json; charset=utf-8"  # what ninja's JSONRenderer answers with
CLIENT_SOURCES = {ChangeSource.WEB, ChangeSource.MOBILE, ChangeSource.OFFLINE}


def source_of(request: HttpRequest) -> str:
    """Pages and the phone say where a change comes from; other programs are "api"."""
    claimed = request.headers.get("X-Client-Source", "")
    if claimed in CLIENT_SOURCES:
        return claimed
    return ChangeSource.API if getattr(request, "api_token_id", None) else ChangeSource.WEB


def json_response(body: dict) -> HttpResponse:
    """A body already in its schema's shape and field order (the selectors build it from
    columns, and tests hold it to the schema), rendered as ninja would without validating each
    item again: that validation cost more than reading the rows."""
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), content_type=JSON_CONTENT_TYPE)


def current_row(membership: Membership, work_order: WorkOrder) -> dict:
    return work_order_out_by_ref(membership, work_order.public_id)


def created_or_found(row: dict, created: bool) -> Status:
    return Status(201 if created else 200, row)


class ShowCurrentOnConflict:
    """A stale version answers VERSION_CONFLICT with the current record, so the client can
    merge without another round trip."""

    def __init__(self, membership: Membership, work_order: WorkOrder):
        self.membership, self.work_order = membership, work_order

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if isinstance(exc, VersionConflict):
            current = WorkOrderOut.model_validate(current_row(self.membership, self.work_order))
            exc.details = {**exc.details, "current": current.model_dump(mode="json")}
