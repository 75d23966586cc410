"""Shared pieces of the work-order services: device time, roles, history and events."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import may
from fieldops.errors import PermissionDenied, ValidationFailed
from fieldops.events import publish_event
from fieldops.time import device_time as device_time_checked
from workorders.models import ChangeSource, WorkOrder, WorkOrderHistory

T = TypeVar("T")
# Inside batch_memos() (an offline push: hundreds of changes in one request), rows that every
# change reads and nobody changes meanwhile — a part, the organisation's work settings — are
# read once.
_memos: ContextVar[dict[Hashable, Any] | None] = ContextVar("batch_memos", default=None)


@contextmanager
def batch_memos() -> Iterator[None]:
    token = _memos.set({})
    try:
        yield
    finally:
        _memos.reset(token)


def batch_memo(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, once per ``key`` inside ``batch_memos()``; every time outside it."""
    memos = _memos.get()
    if memos is None:
        return load()
    if key not in memos:
        memos[key] = load()
    return memos[key]


def occurred_at(device_time: datetime | None, *, field: str = "occurred_at") -> datetime:
    """When a change happened: the device's time when given and sane, else now."""
    return device_time_checked(device_time, field=field)


def is_assignee(work_order: WorkOrder, membership: Membership) -> bool:
    # all() uses the prefetched assignments when the caller loaded them (selectors do).
    return any(a.membership_id == membership.pk for a in work_order.assignments.all())


def require_worker(work_order: WorkOrder, membership: Membership) -> None:
    """Technicians record work only on jobs assigned to them; managers may record for anyone."""
    if may(membership, "work.edit"):
        return
    if not is_assignee(work_order, membership):
        raise PermissionDenied("This work order is not assigned to you.")


def record_history(
    work_order: WorkOrder,
    *,
    kind: str,
    actor: Membership | None,
    source: str,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    details: dict[str, Any] | None = None,
) -> WorkOrderHistory:
    return WorkOrderHistory.objects.create(
        work_order=work_order,
        kind=kind,
        actor=actor,
        source=source or ChangeSource.WEB,
        occurred_at=at,
        from_status=from_status,
        to_status=to_status,
        details=details or {},
    )


def assignee_ids(work_order: WorkOrder) -> list[int]:
    # The assignments the caller loaded with the row (selectors, or the transition after its
    # lock) are those of this request; only a bare row needs the query.
    loaded = getattr(work_order, "_prefetched_objects_cache", {}).get("assignments")
    if loaded is not None:
        return [assignment.membership_id for assignment in loaded]
    return list(work_order.assignments.values_list("membership_id", flat=True))


def publish_work_order_event(event_type: str, work_order: WorkOrder, **data: Any) -> None:
    publish_event(
        event_type,
        organization_id=work_order.organization_id,
        data={
            "number": work_order.reference,
            "id": str(work_order.public_id),
            "status": work_order.status,
            "version": work_order.version,
            **data,
        },
        technician_ids=assignee_ids(work_order),
    )


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(details={field: "This field is required."})
    if len(text) > max_length:
        raise ValidationFailed(details={field: f"At most {max_length} characters."})
    return text
