"""What a technician's phone keeps: their jobs, with everything needed to work them offline."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Prefetch, Q
from django.utils import timezone

from fieldops.accounts.models import Membership
from workorders.models import (
    OPEN_STATUSES,
    Attachment,
    ChecklistItem,
    Note,
    PartUsage,
    TimeEntry,
    WorkOrder,
    WorkOrderHistory,
)
from workorders.selectors import work_order_out, work_orders_for
from workorders.serializers import (
    attachment_out,
    checklist_out,
    history_out,
    note_out,
    part_use_out,
    time_entry_out,
)

RECENTLY_DONE = timedelta(days=7)
MAX_JOBS = 300


def device_work_orders(membership: Membership, *, since: datetime | None) -> dict:
    """The member's open jobs and those finished in the last week, changed since ``since``;
    plus every id the device should keep (anything else it holds was unassigned)."""
    now = timezone.now()
    mine = work_orders_for(membership.organization_id).filter(
        Q(status__in=OPEN_STATUSES) | Q(completed_at__gte=now - RECENTLY_DONE),
        assignments__membership=membership,
    )
    keep = [str(pk) for pk in mine.values_list("public_id", flat=True)[:MAX_JOBS]]
    changed = mine.order_by("id")
    if since is not None:
        changed = changed.filter(updated_at__gte=since)
    changed = changed.prefetch_related(
        Prefetch("checklist", queryset=ChecklistItem.objects.prefetch_related("answers", "photos")),
        Prefetch("notes", queryset=Note.objects.select_related("author__user")),
        Prefetch("time_entries", queryset=TimeEntry.objects.select_related("technician__user")),
        Prefetch("parts_used", queryset=PartUsage.objects.select_related("part")),
        Prefetch("attachments", queryset=Attachment.objects.select_related("checklist_item")),
        Prefetch("history", queryset=WorkOrderHistory.objects.select_related("actor__user")),
    )[:MAX_JOBS]
    jobs = []
    for work_order in changed:
        jobs.append(
            {
                **work_order_out(work_order, now=now),
                "checklist": [checklist_out(i) for i in work_order.checklist.all()],
                "notes": [note_out(n) for n in work_order.notes.all()],
                "time_entries": [time_entry_out(t) for t in work_order.time_entries.all()],
                "parts_used": [part_use_out(p) for p in work_order.parts_used.all()],
                "attachments": [attachment_out(a) for a in work_order.attachments.all()],
                "history": [history_out(h) for h in work_order.history.all()],
                "url": f"/work-orders/{work_order.reference}/",
            }
        )
    # "Z" rather than "+00:00": a cursor pasted into a URL unencoded still reads back.
    return {"work_orders": jobs, "keep": keep, "cursor": now.isoformat().replace("+00:00", "Z")}


def work_orders_by_id(membership: Membership, refs: Iterable[str]) -> dict[str, WorkOrder]:
    """The member's work orders among ``refs`` given as ids, in one query (as
    ``work_order_get_for_member`` loads them). Only an id's canonical spelling is a key, so no
    work order is found under two keys; other references are left to the one-by-one look-up."""
    wanted = {}
    for ref in refs:
        try:
            if str(UUID(ref)) == ref:
                wanted[UUID(ref)] = ref
        except ValueError:
            continue
    if not wanted:
        return {}
    found = work_orders_for(membership.organization_id).filter(public_id__in=wanted)
    return {wanted[work_order.public_id]: work_order for work_order in found}
