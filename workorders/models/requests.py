"""A reported problem: from a signed-in user or a passer-by scanning an asset's QR label."""

import secrets
import uuid

from django.db import models

from fieldops.models import OrganizationScopedModel


def _status_token() -> str:
    return secrets.token_urlsafe(16)


class RequestStatus(models.TextChoices):
    NEW = "new", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Request(OrganizationScopedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The requester's link to follow the request without an account.
    status_token = models.CharField(max_length=32, unique=True, default=_status_token)
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        "assets.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField()
    reporter = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_contact = models.CharField(max_length=200, blank=True)
    photo = models.FileField(upload_to="requests/%Y/%m/", blank=True)
    photo_content_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=8, choices=RequestStatus.choices, default="new")
    decided_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    work_order = models.OneToOneField(
        "workorders.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "status", "created_at"], name="request_org_status")
        ]

    def __str__(self) -> str:
        return self.description[:40]
