"""Reads of work orders, scoped to the caller's organisation."""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from assets.models import Asset, Location
from fieldops.accounts.models import Membership
from fieldops.errors import NotFound, ValidationFailed
from workorders.models import (
    OPEN_STATUSES,
    Priority,
    Request,
    Status,
    WorkOrder,
    WorkOrderAssignment,
    WorkType,
)
from workorders.services.sla import sla_state

REFERENCE = re.compile(r"^WO-?(\d{1,9})$", re.IGNORECASE)


def work_orders_for(organization_id: int) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(organization_id=organization_id)
        .select_related("asset", "location", "follow_up_of")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=WorkOrderAssignment.objects.select_related("membership__user"),
            )
        )
    )


def work_order_get_for_member(membership: Membership, ref: str | UUID) -> WorkOrder:
    """By number (WO-000123, or 123) or by id; another organisation's is a 404."""
    queryset = work_orders_for(membership.organization_id)
    text = str(ref).strip()
    match = REFERENCE.match(text)
    if match:
        found = queryset.filter(number=int(match.group(1))).first()
    elif text.isdigit():
        found = queryset.filter(number=int(text)).first()
    else:
        try:
            found = queryset.filter(public_id=UUID(text)).first()
        except ValueError:
            found = None
    if found is None:
        raise NotFound()
    return found


@dataclass
class WorkOrderFilters:
    status: str | None = None
    priority: str | None = None
    work_type: str | None = None
    assignee: str | None = None
    asset: UUID | None = None
    location: UUID | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    q: str | None = None
    updated_since: datetime | None = None


def _choices(value: str | None, allowed: list[str], field: str) -> list[str] | None:
    if not value:
        return None
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    bad = [part for part in wanted if part not in allowed]
    if bad:
        raise ValidationFailed(details={field: f"Unknown: {', '.join(bad)}."})
    return wanted


def work_order_search(membership: Membership, filters: WorkOrderFilters) -> QuerySet[WorkOrder]:
    organization_id = membership.organization_id
    queryset = work_orders_for(organization_id)
    if filters.status == "open":
        statuses: list[str] | None = list(OPEN_STATUSES)
    else:
        statuses = _choices(filters.status, Status.values, "status")
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if priorities := _choices(filters.priority, Priority.values, "priority"):
        queryset = queryset.filter(priority__in=priorities)
    if types := _choices(filters.work_type, WorkType.values, "work_type"):
        queryset = queryset.filter(work_type__in=types)
    if filters.assignee:
        if filters.assignee == "me":
            queryset = queryset.filter(assignments__membership=membership)
        elif filters.assignee == "none":
            queryset = queryset.filter(assignments__isnull=True)
        else:
            try:
                queryset = queryset.filter(
                    assignments__membership__public_id=UUID(filters.assignee)
                )
            except ValueError:
                raise ValidationFailed(details={"assignee": "An id, 'me' or 'none'."}) from None
    if filters.asset:
        asset = Asset.objects.filter(
            organization_id=organization_id, public_id=filters.asset
        ).first()
        queryset = queryset.filter(asset=asset) if asset else queryset.none()
    if filters.location:
        location = Location.objects.filter(
            organization_id=organization_id, public_id=filters.location
        ).first()
        if location is None:
            queryset = queryset.none()
        else:  # the whole subtree: a site filter includes its buildings and areas
            queryset = queryset.filter(location__path__startswith=location.path)
    if filters.due_after:
        queryset = queryset.filter(due_at__gte=filters.due_after)
    if filters.due_before:
        queryset = queryset.filter(due_at__lt=filters.due_before)
    if filters.overdue is not None:
        overdue = Q(due_at__lt=timezone.now(), status__in=OPEN_STATUSES)
        queryset = queryset.filter(overdue) if filters.overdue else queryset.exclude(overdue)
    if filters.q:
        text = filters.q.strip()
        match = REFERENCE.match(text)
        condition = Q(title__icontains=text)
        if match or text.isdigit():
            condition |= Q(number=int(match.group(1) if match else text))
        queryset = queryset.filter(condition)
    if filters.updated_since:
        queryset = queryset.filter(updated_at__gte=filters.updated_since)
    return queryset


def work_order_out(work_order: WorkOrder, *, now: datetime | None = None) -> dict:
    """The API shape; expects work_orders_for's joins and prefetches."""
    now = now or timezone.now()

    def ref(obj) -> dict | None:
        return {"id": obj.public_id, "code": obj.code, "name": obj.name} if obj else None

    return {
        "id": work_order.public_id,
        "number": work_order.reference,
        "title": work_order.title,
        "description": work_order.description,
        "work_type": work_order.work_type,
        "priority": work_order.priority,
        "status": work_order.status,
        "asset": ref(work_order.asset),
        "location": ref(work_order.location),
        "assignees": [
            {
                "id": a.membership.public_id,
                "username": a.membership.user.get_username(),
                "name": a.membership.user.get_full_name() or a.membership.user.get_username(),
            }
            for a in work_order.assignments.all()
        ],
        "sla_state": sla_state(work_order, now=now),
        **{
            name: getattr(work_order, name)
            for name in (
                "response_due_at",
                "onsite_due_at",
                "due_at",
                "scheduled_start",
                "scheduled_end",
                "estimated_minutes",
                "required_skill",
                "responded_at",
                "started_at",
                "completed_at",
                "closed_at",
                "resolution_notes",
                "failure_code",
                "cause",
                "remedy",
                "source",
                "created_at",
                "updated_at",
                "version",
            )
        },
        "follow_up_of": work_order.follow_up_of.reference if work_order.follow_up_of else None,
    }


def requests_for(organization_id: int) -> QuerySet[Request]:
    return Request.objects.filter(organization_id=organization_id).select_related(
        "asset", "work_order"
    )


def request_get_for_member(membership: Membership, request_id: UUID) -> Request:
    found = requests_for(membership.organization_id).filter(public_id=request_id).first()
    if found is None:
        raise NotFound()
    return found
