"""ERP items into the FieldOps parts catalogue (code unique per organisation).

Parts have no rules beyond the code's uniqueness, so there is no parts service to go through
(STYLE.md: no service for rule-less CRUD); the ORM writes them here, adopting a part FieldOps
already has under the same code.
"""

from __future__ import annotations

from integrations.models import ExternalReference
from integrations.services.local._common import PART, Context, clip, linked_id
from integrations.unified import Part as UnifiedPart
from workorders.models import Part


def part_upsert(ctx: Context, ref: ExternalReference, record: UnifiedPart) -> tuple[str, int]:
    code = clip(record.code, 60)
    values = {
        "name": clip(record.name, 200) or code,
        "unit": clip(record.unit, 20) or "ea",
        "is_active": record.is_active and not record.is_deleted,
    }
    scope = Part.objects.filter(organization_id=ctx.organization_id)
    pk = linked_id(ref, PART)
    part = (scope.filter(pk=pk).first() if pk else None) or scope.filter(code=code).first()
    if part is None:
        part = Part.objects.create(organization_id=ctx.organization_id, code=code, **values)
        return PART, part.pk
    values["code"] = code
    changed = [name for name, value in values.items() if getattr(part, name) != value]
    if changed:
        for name in changed:
            setattr(part, name, values[name])
        part.save(update_fields=[*changed, "updated_at"])
    return PART, part.pk


def part_deactivate(ctx: Context, ref: ExternalReference) -> None:
    pk = linked_id(ref, PART)
    if pk:
        Part.objects.filter(pk=pk, organization_id=ctx.organization_id).update(is_active=False)
