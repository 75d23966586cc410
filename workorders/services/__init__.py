"""Every write with rules on work orders goes through a function here."""

from workorders.services.assignment import OverrideRequired, work_order_assign
from workorders.services.children import (
    attachment_add,
    checklist_answer,
    note_add,
    part_use,
    time_entry_add,
    time_entry_for_stop,
    time_entry_stop,
)
from workorders.services.completion import completion_problems
from workorders.services.creation import ChecklistItemSpec, WorkOrderSpec, work_order_create
from workorders.services.followups import follow_up_create
from workorders.services.readings import work_order_reading_record
from workorders.services.reports import report_is_intact, report_sha256, signature_add
from workorders.services.requests import (
    request_approve,
    request_form_token,
    request_form_wait_seconds,
    request_photo_keep,
    request_reject,
    request_submit,
    request_submit_anonymous,
)
from workorders.services.transitions import (
    TRANSITIONS,
    Resolution,
    actions_for,
    moves_by_status,
    work_order_transition,
)
from workorders.services.updates import work_order_update

__all__ = [
    "TRANSITIONS",
    "ChecklistItemSpec",
    "OverrideRequired",
    "Resolution",
    "WorkOrderSpec",
    "actions_for",
    "attachment_add",
    "checklist_answer",
    "completion_problems",
    "follow_up_create",
    "moves_by_status",
    "note_add",
    "part_use",
    "report_is_intact",
    "report_sha256",
    "request_approve",
    "request_form_token",
    "request_form_wait_seconds",
    "request_photo_keep",
    "request_reject",
    "request_submit",
    "request_submit_anonymous",
    "signature_add",
    "time_entry_add",
    "time_entry_for_stop",
    "time_entry_stop",
    "work_order_assign",
    "work_order_create",
    "work_order_reading_record",
    "work_order_transition",
    "work_order_update",
]
