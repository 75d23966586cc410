"""Event subscribers: a reading on a gauge meter runs the condition rules; a work order leaving
or re-entering the open states updates its plan occurrence or rule firing. Handlers run after
the publishing transaction committed, and only hand an id to a task."""

from fieldops.events import Event
from workorders.lifecycle import FINISHED_STATUSES


def on_reading_recorded(event: Event) -> None:
    from workorders.maintenance.tasks import rules_evaluate_for_meter_task

    if event.data.get("meter_kind") == "gauge":
        rules_evaluate_for_meter_task.delay(event.organization_id, event.data["meter_id"])


def on_status_changed(event: Event) -> None:
    from workorders.maintenance.tasks import work_order_maintenance_sync_task

    if (
        event.data.get("status") in FINISHED_STATUSES
        or event.data.get("previous") in FINISHED_STATUSES
    ):
        work_order_maintenance_sync_task.delay(event.data["id"])
