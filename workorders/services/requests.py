"""Reported problems: submitted by anyone, approved into work or rejected with a reason."""

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import RateLimitExceeded, ValidationFailed
from fieldops.throttling import spend_allowance
from fieldops.uploads import CheckedUpload, upload_stash
from workorders.models import (
    Attachment,
    AttachmentKind,
    ChangeSource,
    Request,
    RequestStatus,
    WorkOrder,
)
from workorders.services._common import clean_text
from workorders.services.creation import WorkOrderSpec, work_order_create

FORM_SALT = "workorders.request-form"
MIN_FILL_SECONDS = 3  # people take longer than this to describe a problem; bots do not
MAX_FORM_AGE_SECONDS = 24 * 3600
# Photos kept for the next submit of a refused form, per address: they wait in the cache.
KEPT_PHOTOS_PER_HOUR = 20


def request_form_token() -> str:
    return signing.dumps({"t": timezone.now().timestamp()}, salt=FORM_SALT)


def _opened_at(form_token: str) -> float | None:
    try:
        return float(signing.loads(form_token, salt=FORM_SALT, max_age=MAX_FORM_AGE_SECONDS)["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def request_form_wait_seconds(form_token: str) -> float:
    """How long until a form opened with ``form_token`` may be sent: 0 if it may now, or if the
    token is not ours (that one is refused as expired instead)."""
    opened = _opened_at(form_token)
    if opened is None:
        return 0.0
    return max(0.0, MIN_FILL_SECONDS - (timezone.now().timestamp() - opened))


def _check_not_spam(form_token: str, honeypot: str) -> None:
    if honeypot:
        raise ValidationFailed("Your report could not be accepted.", details={"form": "spam"})
    if _opened_at(form_token) is None:
        raise ValidationFailed(
            "This form has expired; reload the page and try again.", details={"form": "expired"}
        )
    if request_form_wait_seconds(form_token) > 0:
        raise ValidationFailed(
            "The report was sent too soon after the form opened.", details={"form": "too_soon"}
        )


def request_photo_keep(*, photo: CheckedUpload, client_address: str) -> str:
    """A token that brings ``photo`` back with the next submit of a refused form, or "" once
    this address kept its hourly share (the page then asks for the photo again)."""
    try:
        spend_allowance(
            f"qr-photo-kept:{client_address}", limit=KEPT_PHOTOS_PER_HOUR, period_seconds=3600
        )
    except RateLimitExceeded:
        return ""
    return upload_stash(photo)


def request_submit_anonymous(
    *,
    asset: Asset,
    description: str,
    reporter_name: str,
    reporter_contact: str,
    photo: CheckedUpload | None,
    client_address: str,
    form_token: str,
    honeypot: str,
) -> Request:
    """The no-login QR form: rate-limited per address, with a honeypot and a minimum fill time."""
    _check_not_spam(form_token, honeypot)
    description = clean_text(description, field="description", max_length=5000, required=True)
    if len(description) < 5:
        raise ValidationFailed(details={"description": "Describe the problem in a few words."})
    # Spent only by a report that will be stored: a typo costs nobody one of their reports.
    spend_allowance(
        f"qr-request:{client_address}",
        limit=settings.QR_REQUESTS_PER_HOUR,
        period_seconds=3600,
    )
    return _submit(
        organization_id=asset.organization_id,
        asset=asset,
        reporter=None,
        description=description,
        reporter_name=reporter_name,
        reporter_contact=reporter_contact,
        photo=photo,
    )


def request_submit(
    *,
    membership: Membership,
    description: str,
    asset: Asset | None = None,
    photo: CheckedUpload | None = None,
) -> Request:
    return _submit(
        organization_id=membership.organization_id,
        asset=asset,
        reporter=membership,
        description=description,
        reporter_name=membership.user.get_full_name(),
        reporter_contact=membership.user.email,
        photo=photo,
    )


def _submit(
    *,
    organization_id: int,
    asset: Asset | None,
    reporter: Membership | None,
    description: str,
    reporter_name: str,
    reporter_contact: str,
    photo: CheckedUpload | None,
) -> Request:
    description = clean_text(description, field="description", max_length=5000, required=True)
    if len(description) < 5:
        raise ValidationFailed(details={"description": "Describe the problem in a few words."})
    request = Request(
        organization_id=organization_id,
        asset=asset,
        location=asset.location if asset else None,
        description=description,
        reporter=reporter,
        reporter_name=clean_text(reporter_name, field="reporter_name", max_length=200),
        reporter_contact=clean_text(reporter_contact, field="reporter_contact", max_length=200),
    )
    if photo is not None and not photo.is_image:
        raise ValidationFailed(details={"photo": "Must be a photo."})
    with transaction.atomic():
        request.save()
        if photo is not None:
            # The file is written once its row exists; a failure here rolls the row back.
            request.photo.save(photo.name, ContentFile(photo.content), save=False)
            request.photo_content_type = photo.content_type
            request.save(update_fields=["photo", "photo_content_type"])
    return request


def _lock_new(request: Request) -> Request:
    request = Request.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.NEW:
        raise ValidationFailed(
            f"This request was already {request.get_status_display().lower()}.",
            details={"status": request.status},
        )
    return request


def request_approve(
    *,
    membership: Membership,
    request: Request,
    priority: str,
    title: str = "",
    work_type: str = "corrective",
) -> WorkOrder:
    """Turn a request into a work order: its text and photo carried over."""
    require(membership, "requests.triage")
    with transaction.atomic():
        request = _lock_new(request)
        spec = WorkOrderSpec(
            title=(title or request.description.splitlines()[0])[:200],
            description=request.description,
            priority=priority,
            work_type=work_type,
            asset_id=request.asset.public_id if request.asset else None,
            location_id=request.location.public_id if request.location else None,
        )
        work_order, _ = work_order_create(
            membership=membership,
            organization_id=request.organization_id,
            spec=spec,
            source=ChangeSource.WEB,
        )
        if request.photo:
            request.photo.open("rb")
            size = request.photo.size
            request.photo.close()
            Attachment.objects.create(
                organization_id=request.organization_id,
                work_order=work_order,
                author=request.reporter,
                occurred_at=request.created_at,
                kind=AttachmentKind.PHOTO,
                file=request.photo.name,
                original_name=request.photo.name.rsplit("/", 1)[-1],
                content_type=request.photo_content_type or "image/jpeg",
                size=size,
                sha256=_file_sha256(request.photo),
                caption="Photo from the request",
            )
        request.status = RequestStatus.APPROVED
        request.decided_by = membership
        request.decided_at = timezone.now()
        request.work_order = work_order
        request.save(
            update_fields=["status", "decided_by", "decided_at", "work_order", "updated_at"]
        )
    return work_order


def request_reject(*, membership: Membership, request: Request, reason: str) -> Request:
    require(membership, "requests.triage")
    reason = clean_text(reason, field="reason", max_length=500, required=True)
    with transaction.atomic():
        request = _lock_new(request)
        request.status = RequestStatus.REJECTED
        request.rejection_reason = reason
        request.decided_by = membership
        request.decided_at = timezone.now()
        request.save(
            update_fields=["status", "rejection_reason", "decided_by", "decided_at", "updated_at"]
        )
    return request


def _file_sha256(field_file) -> str:
    import hashlib

    digest = hashlib.sha256()
    with field_file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()
