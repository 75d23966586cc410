"""Dispatch writes: what technicians' phones report (device state, position, status).
Assigning and planning is ``workorders.services.work_order_assign``, for every door."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import PermissionDenied, ValidationFailed
from workorders.dispatch.board_cache import BOARD_GENERATION
from workorders.dispatch.models import (
    DeviceState,
    TechnicianProfile,
    TechnicianStatus,
)

DEVICE_CLOCK_AHEAD = timedelta(minutes=5)


# A phone's count of changes still queued; the column is a 32-bit integer (a larger count is
# nonsense, and PostgreSQL would refuse it).
PENDING_MAX = 1_000_000


def device_state_record(
    *, membership: Membership, device_id: str, pending: int, synced_at: datetime | None
) -> DeviceState:
    """What a technician's phone last reported through sync; called by the offline sync."""
    device_id = (device_id or "").strip()
    if not device_id or len(device_id) > 100:
        raise ValidationFailed(details={"device_id": "Between 1 and 100 characters."})
    if not 0 <= pending <= PENDING_MAX:
        raise ValidationFailed(details={"pending": f"Between 0 and {PENDING_MAX:,}."})
    now = timezone.now()
    if synced_at is not None:
        if timezone.is_naive(synced_at):
            raise ValidationFailed(details={"synced_at": "Give a time zone."})
        synced_at = min(synced_at, now)  # a fast device clock must not look "fresher" than now
    with transaction.atomic():
        state, _ = DeviceState.objects.select_for_update().get_or_create(
            membership=membership,
            device_id=device_id,
            defaults={"organization_id": membership.organization_id},
        )
        # Reports can arrive out of order (a retried request): never move the sync time back.
        if synced_at is not None and (
            state.last_synced_at is None or synced_at >= state.last_synced_at
        ):
            state.last_synced_at = synced_at
            state.pending_changes = pending
        elif synced_at is None:
            state.pending_changes = pending
        state.save()
        _board_changed(membership.organization_id)
    return state


def _own_profile(membership: Membership) -> TechnicianProfile:
    require(membership, "position.report")
    profile, _ = TechnicianProfile.objects.get_or_create(
        membership=membership, defaults={"organization_id": membership.organization_id}
    )
    return profile


def technician_position_report(
    *,
    membership: Membership,
    latitude: float | None,
    longitude: float | None,
    consent: bool,
    at: datetime | None = None,
) -> TechnicianProfile:
    """The phone's position while the app is open. Without consent nothing is kept, and
    withdrawing consent forgets the last position at once."""
    with transaction.atomic():
        profile = _own_profile(membership)
        profile = TechnicianProfile.objects.select_for_update().get(pk=profile.pk)
        profile.location_consent = consent
        if not consent:
            profile.last_latitude = profile.last_longitude = profile.last_position_at = None
        else:
            if latitude is None or longitude is None:
                raise ValidationFailed(details={"latitude": "Send both coordinates."})
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise ValidationFailed(details={"latitude": "Not a position on Earth."})
            now = timezone.now()
            profile.last_latitude = Decimal(f"{latitude:.6f}")
            profile.last_longitude = Decimal(f"{longitude:.6f}")
            profile.last_position_at = min(at or now, now + DEVICE_CLOCK_AHEAD)
        profile.save()
        _board_changed(membership.organization_id)
    return profile


def technician_status_set(*, membership: Membership, technician: Membership, status: str):
    """A technician sets their own status; a dispatcher may set anyone's in the organisation."""
    if status not in TechnicianStatus.values:
        raise ValidationFailed(details={"status": f"One of: {', '.join(TechnicianStatus.values)}."})
    if technician.organization_id != membership.organization_id:
        raise PermissionDenied()
    own = membership.pk == technician.pk
    if not own:
        require(membership, "work.dispatch")
    with transaction.atomic():
        profile, _ = TechnicianProfile.objects.select_for_update().get_or_create(
            membership=technician, defaults={"organization_id": technician.organization_id}
        )
        profile.status = status
        profile.save(update_fields=["status", "updated_at"])
        _board_changed(technician.organization_id)
    return profile


def _board_changed(organization_id: int) -> None:
    # Technician and phone changes publish no event; the boards' shared rendering must still
    # see them (after commit, so no board is rendered from a change that then rolls back).
    transaction.on_commit(lambda: BOARD_GENERATION.bump(organization_id))
