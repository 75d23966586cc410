"""Work orders themselves: open, list, read, change, move through the lifecycle, assign, and
the history of every change."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Status

from fieldops.accounts.models import Membership
from fieldops.idempotency import idempotent
from fieldops.pagination import cursor_paginate
from workorders import services
from workorders.api._common import (
    ShowCurrentOnConflict,
    current_row,
    json_response,
    router,
    source_of,
)
from workorders.schemas import (
    AssignIn,
    HistoryOut,
    TransitionIn,
    WorkOrderIn,
    WorkOrderOut,
    WorkOrderPage,
    WorkOrderPatch,
    WorkOrderQuery,
)
from workorders.selectors import (
    WorkOrderFilters,
    work_order_get_for_member,
    work_order_handle_for_member,
    work_order_out_by_ref,
    work_order_search,
    work_orders_out_by_ids,
)
from workorders.serializers import history_out


@router.post(
    "/work-orders",
    response={201: WorkOrderOut, 200: WorkOrderOut},
    summary="Open a work order (send Idempotency-Key to retry safely)",
)
def work_order_create(request: HttpRequest, payload: WorkOrderIn) -> Status:
    membership: Membership = request.auth

    def run() -> tuple[int, dict]:
        data = payload.model_dump(exclude={"id", "checklist"})
        spec = services.WorkOrderSpec(
            **data,
            checklist=[
                services.ChecklistItemSpec(**item.model_dump()) for item in payload.checklist
            ],
        )
        work_order, created = services.work_order_create(
            membership=membership,
            organization_id=membership.organization_id,
            spec=spec,
            source=source_of(request),
            client_id=payload.id,
        )
        body = WorkOrderOut.model_validate(current_row(membership, work_order))
        return (201 if created else 200), body.model_dump(mode="json")

    return idempotent(request, run)


ORDER_KEYS = {"-created": ("-id",), "created": ("id",), "updated": ("updated_at", "id")}


@router.get(
    "/work-orders",
    response=WorkOrderPage,
    summary="List work orders (filters as query parameters, cursor paging)",
)
def work_order_list(
    request: HttpRequest,
    filters: Query[WorkOrderQuery],
    cursor: str | None = None,
    limit: int = 50,
) -> dict:
    query = filters.model_dump()
    sort = query.pop("sort")
    # The page is chosen on the ids alone, then its rows are read as plain columns.
    queryset = work_order_search(request.auth, WorkOrderFilters(**query))
    queryset = queryset.select_related(None).prefetch_related(None).only("id", "updated_at")
    page = cursor_paginate(queryset, cursor=cursor, limit=limit, keys=ORDER_KEYS[sort])
    ids = [w.pk for w in page.items]
    items = work_orders_out_by_ids(request.auth.organization_id, ids)
    return json_response({"items": items, "next_cursor": page.next_cursor})


@router.get("/work-orders/{ref}", response=WorkOrderOut, summary="One work order")
def work_order_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return json_response(work_order_out_by_ref(request.auth, ref))


@router.patch(
    "/work-orders/{ref}",
    response=WorkOrderOut,
    summary="Change details (send the version you based the change on)",
)
def work_order_update(request: HttpRequest, ref: str, payload: WorkOrderPatch) -> dict:
    membership: Membership = request.auth
    work_order = work_order_get_for_member(membership, ref)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    with ShowCurrentOnConflict(membership, work_order):
        services.work_order_update(
            membership=membership,
            work_order=work_order,
            expected_version=payload.version,
            changes=changes,
            source=source_of(request),
        )
    return current_row(membership, work_order)


@router.post(
    "/work-orders/{ref}/transition",
    response=WorkOrderOut,
    summary="Move through the lifecycle (start, pause, complete, close, cancel…)",
)
def work_order_transition(request: HttpRequest, ref: str, payload: TransitionIn) -> dict:
    membership: Membership = request.auth
    work_order = work_order_handle_for_member(membership, ref)  # the service locks and reads it
    resolution = services.Resolution(
        resolution_notes=payload.resolution_notes,
        failure_code=payload.failure_code,
        cause=payload.cause,
        remedy=payload.remedy,
    )
    with ShowCurrentOnConflict(membership, work_order):
        services.work_order_transition(
            membership=membership,
            work_order=work_order,
            to_status=payload.to,
            expected_version=payload.version,
            source=source_of(request),
            device_time=payload.occurred_at,
            reason=payload.reason,
            resolution=resolution,
        )
    return current_row(membership, work_order)


@router.post(
    "/work-orders/{ref}/assign",
    response=WorkOrderOut,
    summary="Assign technicians (replaces the current assignees)",
)
def work_order_assign(request: HttpRequest, ref: str, payload: AssignIn) -> dict:
    membership: Membership = request.auth
    work_order = work_order_get_for_member(membership, ref)
    with ShowCurrentOnConflict(membership, work_order):
        services.work_order_assign(
            membership=membership,
            work_order=work_order,
            technician_ids=payload.technician_ids,
            expected_version=payload.version,
            override=payload.override,
            override_reason=payload.override_reason,
            source=source_of(request),
        )
    return current_row(membership, work_order)


@router.get(
    "/work-orders/{ref}/history",
    response=list[HistoryOut],
    summary="Every change: who, when, from where",
)
def work_order_history(request: HttpRequest, ref: str) -> list[dict]:
    work_order = work_order_get_for_member(request.auth, ref)
    return [history_out(h) for h in work_order.history.select_related("actor__user")]
