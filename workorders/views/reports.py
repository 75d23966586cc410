"""The printable service report: what was done, time, parts, checklist, photos and the customer's
signature, with the SHA-256 fixed at signing and a warning when the report changed since."""

from collections import defaultdict
from decimal import Decimal
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from fieldops.errors import NotFound
from workorders.models import WorkOrder
from workorders.selectors import job_meter_readings, work_order_get_for_member
from workorders.services.reports import report_sha256


def _work_order(request: HttpRequest, number: str) -> WorkOrder:
    if request.membership is None:
        raise NotFound()
    return work_order_get_for_member(request.membership, number)


def _report_rows(work_order: WorkOrder) -> dict:
    """The report's rows, each list loaded in one query whatever its length."""
    time_entries = list(work_order.time_entries.select_related("technician__user"))
    minutes: dict[str, int] = defaultdict(int)
    for entry in time_entries:
        minutes[entry.get_kind_display()] += entry.minutes or 0
    checklist = []
    for item in work_order.checklist.prefetch_related("answers"):
        answers = list(item.answers.all())
        checklist.append({"item": item, "answer": answers[-1] if answers else None})
    attachments = list(work_order.attachments.select_related("checklist_item"))
    return {
        "time_entries": time_entries,
        "time_totals": sorted(minutes.items()),
        "total_minutes": sum(minutes.values()),
        "parts": list(work_order.parts_used.select_related("part")),
        "readings": job_meter_readings(work_order),
        "checklist": checklist,
        "notes": list(work_order.notes.select_related("author__user")),
        "photos": [a for a in attachments if a.kind == "photo"],
        "files": [a for a in attachments if a.kind != "photo"],
        "signatures": list(work_order.signatures.order_by("occurred_at", "id")),
    }


@login_required
def service_report(request: HttpRequest, number: str) -> HttpResponse:
    work_order = _work_order(request, number)
    rows = _report_rows(work_order)
    signature = rows["signatures"][-1] if rows["signatures"] else None
    current = report_sha256(work_order)
    context = {
        "wo": work_order,
        **rows,
        "parts_total": sum((p.quantity for p in rows["parts"]), Decimal(0)),
        "signature": signature,
        "current_sha256": current,
        # The same comparison as report_is_intact(), without hashing the report twice.
        "intact": None if signature is None else signature.report_sha256 == current,
    }
    return render(request, "workorders/reports/report.html", context)


@login_required
def signature_image(request: HttpRequest, number: str, signature_id: UUID) -> FileResponse:
    work_order = _work_order(request, number)
    signature = work_order.signatures.filter(public_id=signature_id).first()
    if signature is None:
        raise NotFound()
    response = FileResponse(signature.image.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
