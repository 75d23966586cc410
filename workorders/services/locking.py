"""Done work is locked: once a job is completed nothing on it changes (its records, its fields,
its plan) until someone allowed to reopens it. The one check every write on a work order passes."""

from django.db import IntegrityError

from fieldops.accounts.models import Role
from fieldops.errors import DomainError
from workorders.lifecycle import LOCKED_STATUSES, reopen_roles
from workorders.models import WorkOrder


def reopen_hint(status: str) -> str:
    """Who to ask, in words: "A dispatcher or an admin can reopen it." ("" if nobody can)."""
    names = [Role(role).label.lower() for role in Role.values if role in reopen_roles(status)]
    if not names:
        return ""
    who = " or ".join(f"an {name}" if name[0] in "aeiou" else f"a {name}" for name in names)
    return f"{who} can reopen it."


class WorkOrderLocked(DomainError):
    code = "WORK_ORDER_LOCKED"
    status = 409
    default_message = "This work order is done; reopen it to change it."

    def __init__(self, work_order: WorkOrder):
        label = work_order.get_status_display().lower()
        how = " — reopen it to change it" if reopen_roles(work_order.status) else ""
        super().__init__(f"{work_order.reference} is {label}: nothing on it changes any more{how}.")
        self.work_order = work_order


def is_locked(work_order: WorkOrder) -> bool:
    return work_order.status in LOCKED_STATUSES


def require_unlocked(work_order: WorkOrder) -> None:
    """Refuse any change to a done work order. Callers that hold the row lock pass the row read
    under it; append-only records check again at insert (lock_for_records)."""
    if is_locked(work_order):
        raise WorkOrderLocked(work_order)


def lock_for_records(work_order_ids: set[int]) -> None:
    """Inside the transaction that inserts records: lock their work orders and check them
    afresh, so a record cannot slip in next to a completion committing at the same moment.
    A job locked meanwhile raises IntegrityError (a batch then goes one by one, where each
    record gets its own answer)."""
    if not work_order_ids:
        return
    rows = WorkOrder.objects.select_for_update().filter(pk__in=sorted(work_order_ids))
    if any(status in LOCKED_STATUSES for status in rows.values_list("status", flat=True)):
        raise IntegrityError("A work order was locked while its records were being added.")
