"""Reported problems: submit, list, approve into a work order, reject."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Status

from assets.models import Asset
from fieldops.accounts.models import Membership
from fieldops.errors import ValidationFailed
from workorders import services
from workorders.api._common import current_row, router
from workorders.schemas import ApproveIn, RejectIn, RequestIn, RequestOut, WorkOrderOut
from workorders.selectors import request_get_for_member, requests_for
from workorders.serializers import request_out


@router.get("/requests", response=list[RequestOut], summary="Reported problems, newest first")
def request_list(request: HttpRequest, status: str = "new") -> list[dict]:
    rows = requests_for(request.auth.organization_id)
    if status != "all":
        rows = rows.filter(status=status)
    return [request_out(r) for r in rows[:200]]


@router.post("/requests", response={201: RequestOut}, summary="Report a problem")
def request_submit(request: HttpRequest, payload: RequestIn) -> Status:

    membership: Membership = request.auth
    asset = None
    if payload.asset_id:
        asset = Asset.objects.filter(
            organization_id=membership.organization_id, public_id=payload.asset_id
        ).first()
        if asset is None:
            raise ValidationFailed(details={"asset_id": "No such asset in your organisation."})
    submitted = services.request_submit(
        membership=membership, description=payload.description, asset=asset
    )
    return Status(201, request_out(submitted))


@router.post(
    "/requests/{request_id}/approve",
    response=WorkOrderOut,
    summary="Approve into a work order (text and photo carried over)",
)
def request_approve(request: HttpRequest, request_id: UUID, payload: ApproveIn) -> dict:
    membership: Membership = request.auth
    work_order = services.request_approve(
        membership=membership,
        request=request_get_for_member(membership, request_id),
        priority=payload.priority,
        title=payload.title,
        work_type=payload.work_type,
    )
    return current_row(membership, work_order)


@router.post(
    "/requests/{request_id}/reject",
    response=RequestOut,
    summary="Reject with a reason the requester can see",
)
def request_reject(request: HttpRequest, request_id: UUID, payload: RejectIn) -> dict:
    membership: Membership = request.auth
    rejected = services.request_reject(
        membership=membership,
        request=request_get_for_member(membership, request_id),
        reason=payload.reason,
    )
    return request_out(rejected)
