"""The job page's "Edit details" form for the office: its values, its choices, and its reading
into the one input of the change (``WorkOrderPatch``, the API's PATCH body).

The form carries each field's value as it was shown (``was_<field>``): only what the person
changed is sent, so saving again after a version conflict applies their changes on top of the
latest record instead of writing back what someone else changed meanwhile."""

from typing import Any

from django.http import QueryDict

from assets.models import Asset, Location
from fieldops.inputs import field_problems, parse_input
from fieldops.time import zone_of
from workorders.dispatch.models import Skill
from workorders.models import Priority, WorkOrder, WorkType
from workorders.schemas import WorkOrderPatch

FIELDS = (
    "title",
    "description",
    "priority",
    "work_type",
    "due_at",
    "required_skill",
    "asset",
    "location",
    "estimated_minutes",
)
LABELS = {
    "title": "Title",
    "description": "What to do",
    "priority": "Priority",
    "work_type": "Type",
    "due_at": "Due",
    "required_skill": "Required skill",
    "asset": "Asset",
    "location": "Location",
    "estimated_minutes": "Estimate",
}
# The schema's and the service's names for the page's fields, where they differ.
SCHEMA_NAMES = {"asset": "asset_id", "location": "location_id"}
PAGE_NAMES = {v: k for k, v in SCHEMA_NAMES.items()}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def edit_values(work_order: WorkOrder) -> dict[str, str]:
    """The record as the form shows it: text, as a browser would send it back."""
    due = work_order.due_at
    return {
        "title": work_order.title,
        "description": work_order.description,
        "priority": work_order.priority,
        "work_type": work_order.work_type,
        "due_at": due.astimezone(zone_of(work_order.organization)).strftime(LOCAL_FORMAT)
        if due
        else "",
        "required_skill": work_order.required_skill,
        "asset": str(work_order.asset.public_id) if work_order.asset else "",
        "location": str(work_order.location.public_id) if work_order.location else "",
        "estimated_minutes": str(work_order.estimated_minutes or ""),
    }


def edit_choices(work_order: WorkOrder) -> dict[str, Any]:
    organization_id = work_order.organization_id
    return {
        "priorities": Priority.choices,
        "types": WorkType.choices,
        "assets": Asset.objects.filter(organization_id=organization_id)
        .order_by("code")
        .only("public_id", "code", "name")[:1000],
        "locations": Location.objects.filter(organization_id=organization_id)
        .order_by("path", "code")
        .only("public_id", "code", "name")[:1000],
        "skills": _skills(work_order),
    }


def _skills(work_order: WorkOrder) -> list[tuple[str, str]]:
    """The organisation's skills, and the job's own when it names one no longer listed."""
    skills = [
        (s.code, s.name)
        for s in Skill.objects.filter(organization_id=work_order.organization_id).order_by("name")
    ]
    current = work_order.required_skill
    if current and current not in {code for code, _ in skills}:
        skills.append((current, current))
    return skills


def typed_values(post: QueryDict) -> dict[str, str]:
    return {name: post.get(name, "").replace("\r\n", "\n") for name in FIELDS if name in post}


def changed_fields(post: QueryDict) -> dict[str, str]:
    """The fields the person changed from what the form showed them."""
    return {
        name: value
        for name, value in typed_values(post).items()
        if value != post.get(f"was_{name}", "").replace("\r\n", "\n")
    }


def parse_changes(post: QueryDict, work_order: WorkOrder) -> tuple[int, dict[str, Any]]:
    """(the version the form was based on, the changes) read with ``WorkOrderPatch``, the API's
    PATCH body: the same reading, the same words, times in the organisation's zone."""
    data: dict[str, Any] = {"version": form_version(post)}
    for name, text in changed_fields(post).items():
        blank_is_none = name not in ("title", "description", "required_skill")
        data[SCHEMA_NAMES.get(name, name)] = None if blank_is_none and not text.strip() else text
    patch = parse_input(WorkOrderPatch, data, zone=zone_of(work_order.organization))
    return patch.version, patch.model_dump(exclude_unset=True, exclude={"version"})


def form_version(post: QueryDict) -> str:
    return post.get("version", "")


def shown_values(post: QueryDict, latest: dict[str, str] | None = None) -> dict[str, str]:
    """Each field as the form showed it (``was_<field>``); ``latest``'s where the form had none."""
    latest = latest or dict.fromkeys(FIELDS, "")
    return {name: post.get(f"was_{name}", latest[name]) for name in FIELDS}


def page_errors(details: dict[str, Any]) -> dict[str, str]:
    """A refusal's details keyed by the form's field names (the rest under ``general``)."""
    errors: dict[str, str] = {}
    for key, problem in field_problems(details).items():
        name = PAGE_NAMES.get(key, key)
        errors[name if name in LABELS else "general"] = str(problem)
    return errors


def edit_context(work_order: WorkOrder) -> dict[str, Any]:
    """The form as first shown: the record's values, based on its current version."""
    values = edit_values(work_order)
    return {
        "edit_form": values,
        "edit_was": values,
        "edit_version": work_order.version,
        "edit_errors": {},
        **edit_choices(work_order),
    }


def conflict_notes(before: dict[str, str], latest: dict[str, str]) -> list[str]:
    """What someone else changed meanwhile, field by field, as the person reads it."""
    return [LABELS[name] for name in FIELDS if before.get(name, latest[name]) != latest[name]]
