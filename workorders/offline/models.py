from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from fieldops.models import OrganizationScopedModel


class SyncMutation(OrganizationScopedModel):
    """One change a device queued, applied at most once: its id is the device's mutation id."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        CONFLICT = "conflict", "Conflict"
        REJECTED = "rejected", "Rejected"

    mutation_id = models.UUIDField(unique=True)
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    device_id = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=40)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    occurred_at = models.DateTimeField(null=True, blank=True)
    answer = models.JSONField(
        default=dict, encoder=DjangoJSONEncoder, help_text="What the device was told, for replays"
    )

    class Meta:
        indexes = [models.Index(fields=["membership", "created_at"], name="sync_member_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.mutation_id} {self.outcome}"
