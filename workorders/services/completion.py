"""What must be true before work counts as completed."""

from django.db.models import prefetch_related_objects

from workorders.models import ChecklistItemKind, OrganizationWorkSettings, WorkOrder, WorkType
from workorders.services._common import batch_memo
from workorders.services.reports import report_is_intact

FAILURE_ANALYSIS_TYPES = (WorkType.CORRECTIVE, WorkType.EMERGENCY)


def completion_problems(work_order: WorkOrder) -> dict[str, str]:
    """Field → what is missing. Empty when the work order may be completed."""
    problems: dict[str, str] = {}
    if not work_order.resolution_notes.strip():
        problems["resolution_notes"] = "Describe what was done."
    if work_order.work_type in FAILURE_ANALYSIS_TYPES:
        for field, label in (
            ("failure_code", "failure code"),
            ("cause", "cause"),
            ("remedy", "remedy"),
        ):
            if not getattr(work_order, field).strip():
                problems[field] = f"Record the {label} (corrective work)."
    items = list(work_order.checklist.all())
    # Answers only matter for required checks, photos only where one is required.
    prefetch_related_objects([item for item in items if item.required], "answers")
    prefetch_related_objects([item for item in items if item.requires_photo], "photos")
    for item in items:
        if not item.required and not item.requires_photo:
            continue
        answers = list(item.answers.all()) if item.required else []
        latest = answers[-1] if answers else None
        key = f"checklist.{item.position}"
        if item.required and not _answered(item.kind, latest):
            problems[key] = f"“{item.label}” needs an answer."
        elif item.requires_photo and not list(item.photos.all()):
            problems[key] = f"“{item.label}” needs a photo."
    return problems


def close_problems(work_order: WorkOrder) -> dict[str, str]:
    """Field → what is missing before completed work may be closed. The customer signs after
    completing, so an organisation that requires a signature requires it here: on the report as
    it stands (a job reopened and completed again is signed again)."""
    settings = batch_memo(
        ("work_settings", work_order.organization_id),
        OrganizationWorkSettings.objects.filter(organization_id=work_order.organization_id).first,
    )
    if settings and settings.require_signature and not report_is_intact(work_order):
        return {"signature": "Your organisation requires the customer's signature on the report."}
    return {}


def _answered(kind: str, answer) -> bool:
    if answer is None:
        return False
    if kind == ChecklistItemKind.PASS_FAIL:
        return bool(answer.result)
    if kind == ChecklistItemKind.VALUE:
        return answer.value is not None or answer.result == "na"
    return bool(answer.text.strip()) or answer.result == "na"
