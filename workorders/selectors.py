"""Reads of work orders, scoped to the caller's organisation."""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from assets.models import Asset, Location, Meter, MeterReading
from fieldops.accounts.models import Membership
from fieldops.errors import NotFound, ValidationFailed
from workorders.models import (
    OPEN_STATUSES,
    Priority,
    Request,
    RequestStatus,
    Status,
    WorkOrder,
    WorkOrderAssignment,
    WorkOrderIdentity,
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


# Built once: ``Choices.choices`` walks the enum on every call, a twentieth of a cold phone list.
PRIORITY_LABELS = dict(Priority.choices)
STATUS_LABELS = dict(Status.choices)


@dataclass(frozen=True, slots=True)
class JobCard(WorkOrderIdentity):
    """What a job card on the technician's phone shows (and what its SLA badge is worked out
    from). Plain and hashable: the page keys its rendered-card cache by it."""

    number: int
    title: str
    priority: str
    status: str
    scheduled_start: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    asset_code: str | None
    asset_name: str | None
    location_name: str | None

    # As the model's get_FOO_display: a value outside the choices shows as it is.
    def get_priority_display(self) -> str:
        return PRIORITY_LABELS.get(self.priority, self.priority)

    def get_status_display(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def technician_open_jobs(membership: Membership, *, limit: int = 200) -> list[JobCard]:
    """The member's open work, planned or due soonest first: only the columns a card shows, as
    plain rows (model instances and the assignee prefetch cost more than the page itself)."""
    rows = (
        WorkOrder.objects.filter(
            organization_id=membership.organization_id,
            assignments__membership=membership,
            status__in=OPEN_STATUSES,
        )
        .order_by("scheduled_start", "due_at", "id")
        .values_list(
            "number",
            "title",
            "priority",
            "status",
            "scheduled_start",
            "due_at",
            "completed_at",
            "created_at",
            "asset__code",
            "asset__name",
            "location__name",
        )[:limit]
    )
    return [JobCard(*row) for row in rows]


def _by_ref(queryset: QuerySet[WorkOrder], ref: str | UUID) -> QuerySet[WorkOrder]:
    """By number (WO-000123, or 123) or by id; anything else matches nothing."""
    text = str(ref).strip()
    match = REFERENCE.match(text)
    if match:
        return queryset.filter(number=int(match.group(1)))
    if text.isdigit():
        return queryset.filter(number=int(text))
    try:
        return queryset.filter(public_id=UUID(text))
    except ValueError:
        return queryset.none()


def work_order_get_for_member(membership: Membership, ref: str | UUID) -> WorkOrder:
    """By number (WO-000123, or 123) or by id; another organisation's is a 404."""
    found = _by_ref(work_orders_for(membership.organization_id), ref).first()
    if found is None:
        raise NotFound()
    return found


def work_order_handle_for_member(membership: Membership, ref: str | UUID) -> WorkOrder:
    """Like work_order_get_for_member, with only its ids loaded (other fields load on first
    use): for services that lock the row and read it afresh themselves."""
    queryset = WorkOrder.objects.filter(organization_id=membership.organization_id)
    found = _by_ref(queryset.only("id", "public_id", "organization_id", "number"), ref).first()
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
            for name in (*_TIMES_AND_DETAILS, "source", "created_at", "updated_at", "version")
        },
        "follow_up_of": work_order.follow_up_of.reference if work_order.follow_up_of else None,
    }


# work_order_out's fields as columns, in WorkOrderOut's order (the API answer keeps it).
_TIMES_AND_DETAILS = (
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
)
_OUT_COLUMNS = (
    "id",
    "public_id",
    "number",
    "title",
    "description",
    "work_type",
    "priority",
    "status",
    "asset__public_id",
    "asset__code",
    "asset__name",
    "location__public_id",
    "location__code",
    "location__name",
    *_TIMES_AND_DETAILS,
    "follow_up_of__number",
    "source",
    "created_at",
    "updated_at",
    "version",
)


@dataclass(frozen=True, slots=True)
class _SlaFields:
    due_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    is_open: bool


def work_orders_out(queryset: QuerySet[WorkOrder], *, now: datetime | None = None) -> list[dict]:
    """work_order_out's shape for every row of ``queryset`` (in its order), built from plain
    columns and one query for the assignees: no model instances, no prefetch machinery."""
    return [out for _, out in _rows_out(queryset, now=now or timezone.now())]


def work_orders_out_by_ids(
    organization_id: int, ids: list[int], *, now: datetime | None = None
) -> list[dict]:
    """work_orders_out of the organisation's work orders ``ids``, in that order."""
    queryset = WorkOrder.objects.filter(organization_id=organization_id, pk__in=ids)
    found = dict(_rows_out(queryset, now=now or timezone.now()))
    return [found[pk] for pk in ids if pk in found]


def _rows_out(queryset: QuerySet[WorkOrder], *, now: datetime) -> list[tuple[int, dict]]:
    rows = list(queryset.select_related(None).prefetch_related(None).values_list(*_OUT_COLUMNS))
    if not rows:
        return []
    people: dict[int, list[dict]] = {row[0]: [] for row in rows}
    assignees = (
        WorkOrderAssignment.objects.filter(work_order_id__in=list(people))
        .order_by("id")
        .values_list(
            "work_order_id",
            "membership__public_id",
            "membership__user__username",
            "membership__user__first_name",
            "membership__user__last_name",
        )
    )
    for work_order_id, public_id, username, first_name, last_name in assignees:
        name = f"{first_name} {last_name}".strip() or username
        people[work_order_id].append({"id": public_id, "username": username, "name": name})
    open_statuses = set(OPEN_STATUSES)
    out = []
    for row in rows:
        (pk, public_id, number, title, description, work_type, priority, status) = row[:8]
        asset_id, asset_code, asset_name, location_id, location_code, location_name = row[8:14]
        details = dict(zip(_TIMES_AND_DETAILS, row[14:29], strict=True))
        follow_up_of, source, created_at, updated_at, version = row[29:]
        sla = _SlaFields(
            details["due_at"], details["completed_at"], created_at, status in open_statuses
        )
        out.append(
            (
                pk,
                {
                    "id": public_id,
                    "number": f"WO-{number:06d}",
                    "title": title,
                    "description": description,
                    "work_type": work_type,
                    "priority": priority,
                    "status": status,
                    "asset": None
                    if asset_id is None
                    else {"id": asset_id, "code": asset_code, "name": asset_name},
                    "location": None
                    if location_id is None
                    else {"id": location_id, "code": location_code, "name": location_name},
                    "assignees": people[pk],
                    "sla_state": sla_state(sla, now=now),  # type: ignore[arg-type]
                    **details,
                    "follow_up_of": None if follow_up_of is None else f"WO-{follow_up_of:06d}",
                    "source": source,
                    "created_at": created_at,
                    "updated_at": updated_at,
                    "version": version,
                },
            )
        )
    return out


def work_order_out_by_ref(membership: Membership, ref: str | UUID) -> dict:
    """work_order_out of work_order_get_for_member's row, read as plain columns."""
    found = work_orders_out(
        _by_ref(WorkOrder.objects.filter(organization_id=membership.organization_id), ref)
    )
    if not found:
        raise NotFound()
    return found[0]


def requests_for(organization_id: int) -> QuerySet[Request]:
    return Request.objects.filter(organization_id=organization_id).select_related(
        "asset", "work_order"
    )


def request_get_for_member(membership: Membership, request_id: UUID) -> Request:
    found = requests_for(membership.organization_id).filter(public_id=request_id).first()
    if found is None:
        raise NotFound()
    return found


def job_meter_readings(work_order: WorkOrder) -> list[MeterReading]:
    """The meter readings taken on this job, in the order they were taken (one query)."""
    return [
        taken.reading
        for taken in work_order.meter_readings.select_related(
            "reading__meter", "reading__recorded_by__user"
        ).order_by("reading__taken_at", "id")
    ]


def job_meters(work_order: WorkOrder) -> list[Meter]:
    """The meters a technician reads on this job: those of the job's asset."""
    if work_order.asset_id is None:
        return []
    return list(Meter.objects.filter(asset_id=work_order.asset_id).order_by("name"))


def requests_waiting_count(organization_id: int) -> int:
    """Requests nobody has approved or rejected yet: the count on the board and in the nav."""
    return Request.objects.filter(organization_id=organization_id, status=RequestStatus.NEW).count()
