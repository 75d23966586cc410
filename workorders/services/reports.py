"""The service report: what was done, its fingerprint at signing, and the customer's signature."""

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.files.base import ContentFile

from fieldops.accounts.models import Membership
from fieldops.errors import Conflict, ValidationFailed
from fieldops.uploads import CheckedUpload
from workorders.lifecycle import SIGNABLE_STATUSES
from workorders.models import Signature, WorkOrder, WorkOrderHistory
from workorders.services._common import (
    clean_text,
    occurred_at,
    publish_work_order_event,
    record_history,
    require_worker,
)
from workorders.services.children import _replayed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def report_content(work_order: WorkOrder) -> dict[str, Any]:
    """Everything the customer signs for, in a stable shape (its hash must be reproducible)."""
    work_order = (
        WorkOrder.objects.select_related("asset", "location")
        .prefetch_related(
            "time_entries__technician__user",
            "parts_used__part",
            "checklist__answers",
            "notes",
            "attachments",
        )
        .get(pk=work_order.pk)
    )
    checklist = []
    for item in work_order.checklist.all():
        answers = list(item.answers.all())
        latest = answers[-1] if answers else None
        checklist.append(
            {
                "label": item.label,
                "result": latest.result if latest else "",
                "value": latest.value if latest else None,
                "text": latest.text if latest else "",
            }
        )
    content = {
        "number": work_order.reference,
        "title": work_order.title,
        "description": work_order.description,
        "type": work_order.work_type,
        "asset": work_order.asset.code if work_order.asset else None,
        "location": work_order.location.code if work_order.location else None,
        "started_at": _iso(work_order.started_at),
        "resolution_notes": work_order.resolution_notes,
        "failure_code": work_order.failure_code,
        "cause": work_order.cause,
        "remedy": work_order.remedy,
        "time": [
            {
                "kind": t.kind,
                "technician": t.technician.user.get_username(),
                "started_at": _iso(t.started_at),
                "ended_at": _iso(t.ended_at),
                "minutes": t.minutes,
            }
            for t in work_order.time_entries.all()
        ],
        "parts": [
            {
                "code": p.part.code,
                "name": p.part.name,
                "quantity": str(p.quantity),
                "stock_location": p.stock_location,
            }
            for p in work_order.parts_used.all()
        ],
        "checklist": checklist,
        "notes": [{"at": _iso(n.occurred_at), "text": n.text} for n in work_order.notes.all()],
        "attachments": [
            {"name": a.original_name, "sha256": a.sha256} for a in work_order.attachments.all()
        ],
    }
    readings = [
        {"meter": t.reading.meter.name, "value": t.reading.value, "unit": t.reading.meter.unit}
        | {"taken_at": _iso(t.reading.taken_at)}
        for t in work_order.meter_readings.select_related("reading__meter").order_by("id")
    ]
    # Only when there are any: reports signed before readings went with the job keep their hash.
    if readings:
        content["readings"] = readings
    return content


def report_sha256(work_order: WorkOrder) -> str:
    canonical = json.dumps(report_content(work_order), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_is_intact(work_order: WorkOrder) -> bool | None:
    """None when unsigned; otherwise whether the report still matches what was signed."""
    signature = work_order.signatures.order_by("-occurred_at", "-id").first()
    if signature is None:
        return None
    return signature.report_sha256 == report_sha256(work_order)


def signature_add(
    *,
    membership: Membership,
    work_order: WorkOrder,
    signer_name: str,
    image: CheckedUpload,
    client_id: UUID | None = None,
    device_time: datetime | None = None,
    source: str = "web",
    reviewed_sha256: str | None = None,
) -> tuple[Signature, bool]:
    """The customer signs the completed job's report. ``reviewed_sha256``, when the signing
    screen sends it, is the report the customer read: a report changed since is not signed."""
    existing = _replayed(Signature, client_id, work_order)
    if existing:
        return existing, False
    require_worker(work_order, membership)
    if work_order.status not in SIGNABLE_STATUSES:
        raise ValidationFailed(
            "The customer signs the report once the job is completed.",
            details={"status": work_order.status},
        )
    signer_name = clean_text(signer_name, field="signer_name", max_length=200, required=True)
    if image.content_type != "image/png":
        raise ValidationFailed(details={"image": "The signature must be a PNG image."})
    current = report_sha256(work_order)
    if reviewed_sha256 and reviewed_sha256 != current:
        raise Conflict(
            "The report changed while the customer was reading it: show it again and sign.",
            details={"reviewed_sha256": "Not the report as it is now.", "current": current},
        )
    signed = work_order.signatures.filter(report_sha256=current).first()
    if signed is not None:
        raise Conflict(
            f"This report is already signed by {signed.signer_name}.",
            details={"signature": "Already signed."},
        )
    at = occurred_at(device_time)
    signature = Signature(
        organization_id=work_order.organization_id,
        work_order=work_order,
        author=membership,
        occurred_at=at,
        signer_name=signer_name,
        image_sha256=image.sha256,
        report_sha256=current,
    )
    if client_id is not None:
        signature.public_id = client_id
    signature.image.save("signature.png", ContentFile(image.content), save=False)
    signature.save()
    record_history(
        work_order,
        kind=WorkOrderHistory.Kind.REPORT_SIGNED,
        actor=membership,
        source=source,
        at=at,
        details={"signer": signer_name, "report_sha256": signature.report_sha256},
    )
    publish_work_order_event("workorder.updated", work_order, records=["signature"])
    return signature, True
