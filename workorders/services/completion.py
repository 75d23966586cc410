"""What must be true before work counts as completed."""

from workorders.models import ChecklistItemKind, OrganizationWorkSettings, WorkOrder, WorkType

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
    for item in work_order.checklist.prefetch_related("answers", "photos"):
        answers = list(item.answers.all())
        latest = answers[-1] if answers else None
        key = f"checklist.{item.position}"
        if item.required and not _answered(item.kind, latest):
            problems[key] = f"“{item.label}” needs an answer."
        elif item.requires_photo and not list(item.photos.all()):
            problems[key] = f"“{item.label}” needs a photo."
    settings = OrganizationWorkSettings.objects.filter(
        organization_id=work_order.organization_id
    ).first()
    if settings and settings.require_signature and not work_order.signatures.exists():
        problems["signature"] = "Your organisation requires a customer signature."
    return problems


def _answered(kind: str, answer) -> bool:
    if answer is None:
        return False
    if kind == ChecklistItemKind.PASS_FAIL:
        return bool(answer.result)
    if kind == ChecklistItemKind.VALUE:
        return answer.value is not None or answer.result == "na"
    return bool(answer.text.strip()) or answer.result == "na"
