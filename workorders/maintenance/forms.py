"""Turning the editors' form posts into specs, and specs back into form values. Parsing only:
every rule lives in the services."""

from datetime import date
from typing import Annotated, Any

from django.http import QueryDict
from ninja import Field
from pydantic import BeforeValidator

from fieldops.inputs import form_data, parse_input
from workorders.maintenance.schemas import PlanIn, RuleIn
from workorders.maintenance.services import PlanSpec, RuleSpec
from workorders.schemas import ChecklistItemIn

# A form's unticked box is not sent at all: on the pages it means "no", not the API's default.
PLAN_BOXES = ("is_active", "skip_if_open")
RULE_BOXES = ("is_active",)


def _checklist_lines(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "\n".join(value)
    return parse_checklist(value) if isinstance(value, str) else value


class PlanFormIn(PlanIn):
    """The plan editor's form: PlanIn, with the checklist typed one item per line and the
    version the edit is based on."""

    is_active: bool = False
    skip_if_open: bool = False
    start_date: date | None = None  # blank: the service fills it in for a meter-only plan
    checklist: Annotated[list[ChecklistItemIn], BeforeValidator(_checklist_lines)] = Field(
        default_factory=list, max_length=200
    )
    version: int = 0


class RuleFormIn(RuleIn):
    is_active: bool = False
    version: int = 0


def typed_values(post: QueryDict, boxes: tuple[str, ...]) -> dict[str, Any]:
    """What the person typed, to show again after a refusal (ticked boxes as booleans)."""
    values: dict[str, Any] = post.dict()
    values.update({name: post.get(name) == "on" for name in boxes})
    return values


def plan_spec(payload: PlanIn) -> PlanSpec:
    data = payload.model_dump(exclude={"version"})
    data["checklist"] = [dict(item) for item in data.get("checklist") or []]
    return PlanSpec(**data)


def plan_spec_from(post: QueryDict) -> tuple[PlanSpec, int]:
    """(the spec, the version the edit is based on) from the plan editor, read with PlanIn."""
    payload = parse_input(PlanFormIn, form_data(post, PlanFormIn))
    return plan_spec(payload), payload.version


def rule_spec_from(post: QueryDict) -> tuple[RuleSpec, int]:
    payload = parse_input(RuleFormIn, form_data(post, RuleFormIn))
    return RuleSpec(**payload.model_dump(exclude={"version"})), payload.version


def parse_checklist(text: str) -> list[dict[str, Any]]:
    """One item per line: ``label`` (pass/fail), ``label | text`` or
    ``label | value | unit | min | max``."""
    items = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        item: dict[str, Any] = {"label": parts[0]}
        if len(parts) > 1 and parts[1] in ("value", "text"):
            item["kind"] = parts[1]
        if item.get("kind") == "value":
            item["unit"] = parts[2] if len(parts) > 2 else ""
            for index, bound in ((3, "min_value"), (4, "max_value")):
                if len(parts) > index and parts[index]:
                    try:
                        item[bound] = float(parts[index].replace(",", "."))
                    except ValueError:
                        item[bound] = None
        items.append(item)
    return items


def checklist_text(items: list[dict[str, Any]]) -> str:
    lines = []
    for item in items or []:
        kind = item.get("kind") or "pass_fail"
        if kind == "value":
            bounds = [
                "" if item.get(b) is None else f"{item[b]:g}" for b in ("min_value", "max_value")
            ]
            lines.append(" | ".join([item["label"], "value", item.get("unit") or "", *bounds]))
        elif kind == "text":
            lines.append(f"{item['label']} | text")
        else:
            lines.append(item["label"])
    return "\n".join(lines)
