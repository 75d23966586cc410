"""The parts catalogue technicians pick from."""

from django.http import HttpRequest

from workorders.api._common import router
from workorders.models import Part
from workorders.schemas import PartOut


@router.get("/parts", response=list[PartOut], summary="The parts catalogue")
def part_list(request: HttpRequest, q: str = "") -> list[dict]:
    parts = Part.objects.filter(organization_id=request.auth.organization_id, is_active=True)
    if q:
        parts = parts.filter(name__icontains=q) | parts.filter(code__icontains=q)
    return [
        {"id": p.public_id, "code": p.code, "name": p.name, "unit": p.unit}
        for p in parts.order_by("code")[:200]
    ]
