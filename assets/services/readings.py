"""Meters and their readings: every reading is checked before it is stored."""

import math
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Asset, Meter, MeterKind, MeterReading, ReadingSource
from assets.services._common import FieldErrors, clean_choice, clean_str
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import NotFound, ValidationFailed, VersionConflict
from fieldops.events import publish_event
from fieldops.tenancy import get_for_organization
from fieldops.time import in_zone, zone_named

# Device clocks drift; a reading a few minutes "ahead" of the server is not from the future.
CLOCK_SKEW = timedelta(minutes=5)
METER_FIELDS = ("name", "unit", "min_value", "max_value")
# A typed reading this far from the last one (a share of the meter's range, or of the last value
# when the meter has no range) is more likely a slip of the finger than a real change.
UNUSUAL_CHANGE = 0.5


def _clean_bound(errors: FieldErrors, field: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = parse_number(value)
    if number is None:
        errors.add(field, "Must be a number.")
    return number


def _check_range(errors: FieldErrors, low: float | None, high: float | None) -> None:
    if low is not None and high is not None and low > high:
        errors.add("max_value", "The upper limit must not be below the lower limit.")


def meter_create(
    *,
    membership: Membership,
    asset_id: Any,
    name: str,
    kind: str,
    unit: str,
    min_value: Any = None,
    max_value: Any = None,
) -> Meter:
    require(membership, "assets.manage")
    errors = FieldErrors()
    name = clean_str(errors, "name", name, max_length=100, required=True)
    kind = clean_choice(errors, "kind", kind, MeterKind.values)
    unit = clean_str(errors, "unit", unit, max_length=20, required=True)
    low, high = (
        _clean_bound(errors, "min_value", min_value),
        _clean_bound(errors, "max_value", max_value),
    )
    _check_range(errors, low, high)
    errors.raise_if_any()
    with transaction.atomic():
        asset = get_for_organization(
            Asset.objects.all(), organization_id=membership.organization_id, public_id=asset_id
        )
        if asset.meters.filter(name__iexact=name).exists():
            raise ValidationFailed(
                details={"fields": {"name": "This asset already has a meter with this name."}}
            )
        try:
            with transaction.atomic():
                return Meter.objects.create(
                    organization_id=asset.organization_id,
                    asset=asset,
                    name=name,
                    kind=kind,
                    unit=unit,
                    min_value=low,
                    max_value=high,
                )
        except IntegrityError:
            raise ValidationFailed(
                details={"fields": {"name": "This asset already has a meter with this name."}}
            ) from None


def meter_update(
    *, membership: Membership, meter_id: Any, version: int, changes: dict[str, Any]
) -> Meter:
    """Rename a meter or correct its unit or physical range. The kind never changes: the
    readings already stored were validated as that kind."""
    require(membership, "assets.manage")
    errors = FieldErrors()
    with transaction.atomic():
        meter = get_for_organization(
            Meter.objects.select_for_update(),
            organization_id=membership.organization_id,
            public_id=meter_id,
        )
        if meter.version != version:
            raise VersionConflict(details={"current_version": meter.version})
        fields = [f for f in METER_FIELDS if f in changes]
        if "name" in changes:
            meter.name = clean_str(errors, "name", changes["name"], max_length=100, required=True)
            taken = meter.asset.meters.filter(name__iexact=meter.name).exclude(pk=meter.pk)
            if meter.name and taken.exists():
                errors.add("name", "This asset already has a meter with this name.")
        if "unit" in changes:
            meter.unit = clean_str(errors, "unit", changes["unit"], max_length=20, required=True)
        for bound in ("min_value", "max_value"):
            if bound in changes:
                setattr(meter, bound, _clean_bound(errors, bound, changes[bound]))
        _check_range(errors, meter.min_value, meter.max_value)
        errors.raise_if_any()
        meter.version += 1
        meter.save(update_fields=[*fields, "version", "updated_at"])
    return meter


def parse_number(value: Any) -> float | None:
    """A finite float from a number or its text (dot as the decimal mark), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def parse_taken_at(value: Any, time_zone: str) -> datetime | None:
    """An aware datetime; a value without an offset is read in the organisation's time zone."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return in_zone(moment, zone_named(time_zone)).astimezone(UTC)


def _fmt(number: float) -> str:
    return f"{number:g}"


def _check_against_history(
    errors: FieldErrors, meter: Meter, value: float, taken_at: datetime, is_replacement: bool
) -> None:
    """A cumulative meter never runs backwards: not below the reading before, not above the one
    after (unless that one starts a replaced meter)."""
    history = meter.readings.all()
    before = history.filter(taken_at__lte=taken_at).order_by("-taken_at", "-id").first()
    after = history.filter(taken_at__gt=taken_at).order_by("taken_at", "id").first()
    if before is not None and not is_replacement and value < before.value:
        errors.add(
            "value",
            f"A cumulative meter cannot go backwards: {_fmt(value)} is below the reading of "
            f"{_fmt(before.value)} {meter.unit} taken {before.taken_at:%Y-%m-%d %H:%M} UTC. If the "
            "meter was replaced, flag the reading as a meter replacement.",
        )
    if after is not None and not after.is_replacement and value > after.value:
        errors.add(
            "value",
            f"A cumulative meter cannot go backwards: {_fmt(value)} is above the later reading "
            f"of {_fmt(after.value)} {meter.unit} taken {after.taken_at:%Y-%m-%d %H:%M} UTC.",
        )


def reading_unusual(meter: Meter, value: float) -> str:
    """Why ``value`` looks like a misread (far from the meter's last reading), or ""."""
    last = meter.last_value
    if last is None or meter.last_reading_at is None:
        return ""
    if meter.min_value is not None and meter.max_value is not None:
        scale = meter.max_value - meter.min_value
    else:
        scale = abs(last)
    if scale == 0 or abs(value - last) <= UNUSUAL_CHANGE * scale:
        return ""
    return (
        f"{_fmt(value)} {meter.unit} is far from the last reading, {_fmt(last)} {meter.unit} "
        f"on {meter.last_reading_at:%Y-%m-%d}. Check the meter; if the value is right, "
        "confirm it to save it."
    )


def reading_record(
    *,
    membership: Membership | None,
    organization_id: int,
    meter_id: Any,
    value: Any,
    taken_at: Any,
    unit: str | None = None,
    source: str = ReadingSource.TECHNICIAN,
    is_replacement: bool = False,
    note: str = "",
    reading_id: Any = None,
    unusual_confirmed: bool = True,
) -> tuple[MeterReading, bool]:
    """Validate and store one reading; ``(reading, created)``.

    Refused with VALIDATION_ERROR, storing nothing: a non-number, a unit other than the meter's,
    a time in the future, a value outside the meter's physical range, a cumulative meter going
    backwards without ``is_replacement``. ``reading_id`` (a client-generated UUID) makes the call
    safe to retry: the same id again returns the stored reading. A person typing a reading passes
    ``unusual_confirmed=False`` until they confirm: a value far from the last one is then refused
    with ``details["unusual"]`` (machines' readings are not second-guessed).
    """
    errors = FieldErrors()
    number = parse_number(value)
    if number is None:
        errors.add("value", "Must be a number, like 1234.5.")
    source = clean_choice(errors, "source", source, ReadingSource.values)
    note = clean_str(errors, "note", note, max_length=500)
    if reading_id not in (None, ""):
        try:
            reading_id = uuid.UUID(str(reading_id))
        except ValueError:
            errors.add("id", "Must be a UUID.")
    with transaction.atomic():
        meter = get_for_organization(
            Meter.objects.select_for_update().select_related("asset", "organization"),
            organization_id=organization_id,
            public_id=meter_id,
        )
        if isinstance(reading_id, uuid.UUID):
            existing = MeterReading.objects.filter(
                organization_id=organization_id, public_id=reading_id
            ).first()
            if existing is not None:
                if existing.meter_id != meter.pk:
                    raise ValidationFailed(details={"fields": {"id": "Already used."}})
                return existing, False
        moment = parse_taken_at(taken_at, meter.organization.time_zone)
        if moment is None:
            errors.add("taken_at", "Must be a date and time, like 2024-05-31T14:30:00Z.")
        elif moment > timezone.now() + CLOCK_SKEW:
            errors.add("taken_at", "A reading cannot be taken in the future.")
        if unit not in (None, "") and str(unit).strip() != meter.unit:
            errors.add("unit", f"This meter reads in {meter.unit}, not {str(unit).strip()}.")
        if number is not None:
            if meter.min_value is not None and number < meter.min_value:
                errors.add(
                    "value",
                    f"Below this meter's range (lowest {_fmt(meter.min_value)} {meter.unit}).",
                )
            if meter.max_value is not None and number > meter.max_value:
                errors.add(
                    "value",
                    f"Above this meter's range (highest {_fmt(meter.max_value)} {meter.unit}).",
                )
        if is_replacement and meter.kind != MeterKind.CUMULATIVE:
            errors.add("is_replacement", "Only a cumulative meter can be replaced.")
        errors.raise_if_any()
        if meter.kind == MeterKind.CUMULATIVE:
            _check_against_history(errors, meter, number, moment, is_replacement)
            errors.raise_if_any()
        unusual = "" if unusual_confirmed or is_replacement else reading_unusual(meter, number)
        if unusual:
            raise ValidationFailed(
                "Check this reading before it is saved.",
                details={"fields": {"value": unusual}, "unusual": True},
            )
        reading = MeterReading.objects.create(
            organization_id=organization_id,
            meter=meter,
            value=number,
            taken_at=moment,
            source=source,
            is_replacement=bool(is_replacement),
            note=note,
            recorded_by=membership,
            **({"public_id": reading_id} if isinstance(reading_id, uuid.UUID) else {}),
        )
        if meter.last_reading_at is None or moment >= meter.last_reading_at:
            meter.last_value, meter.last_reading_at = number, moment
            meter.save(update_fields=["last_value", "last_reading_at"])
        publish_event(
            "meter.reading_recorded",
            organization_id=organization_id,
            data={
                "reading_id": str(reading.public_id),
                "meter_id": str(meter.public_id),
                "asset_id": str(meter.asset.public_id),
                "meter_kind": meter.kind,
                "unit": meter.unit,
                "value": number,
                "taken_at": moment.isoformat(),
                "source": source,
                "is_replacement": reading.is_replacement,
            },
        )
    return reading, True


def meter_for_reading(
    *, organization_id: int, meter_id: Any = None, asset_code: str = "", meter_name: str = ""
) -> Meter:
    """Find the meter a batch row or CSV line means: by id, or by asset code and meter name."""
    meters = Meter.objects.filter(organization_id=organization_id)
    try:
        if meter_id not in (None, ""):
            return meters.get(public_id=meter_id)
        return meters.get(asset__code__iexact=asset_code.strip(), name__iexact=meter_name.strip())
    except (Meter.DoesNotExist, Meter.MultipleObjectsReturned, ValueError, DjangoValidationError):
        raise NotFound("No such meter.") from None
