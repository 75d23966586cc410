"""Reading cumulative meters for plans: the count across meter swaps, and the usage rate.

A reading flagged ``is_replacement`` starts a new physical meter, usually near zero. Plans count
"effective" units: the raw value plus, per swap, the old meter's last value minus the new meter's
first, so a plan every 500 h keeps counting when the hour meter is replaced at 1,730 h.
A fixed number of queries however many meters are asked for.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from assets.models import Meter, MeterKind, MeterReading
from workorders.maintenance.schedule import replacement_offset

RATE_WINDOW = timedelta(days=30)


@dataclass
class MeterState:
    meter_id: int
    public_id: str
    asset_id: int
    name: str
    unit: str
    value: float | None  # effective (across swaps); None without readings
    last_reading_at: datetime | None
    rate_per_day: float | None = None


def _before(meter_ref: str = "meter") -> Subquery:
    return Subquery(
        MeterReading.objects.filter(meter=OuterRef(meter_ref), taken_at__lt=OuterRef("taken_at"))
        .order_by("-taken_at", "-id")
        .values("value")[:1]
    )


def _swaps(meters: Iterable[int] | None, organization_ids: Iterable[int] | None) -> dict:
    """meter id -> [(taken_at, value before, value)] of its replacement readings."""
    rows = MeterReading.objects.filter(is_replacement=True, meter__kind=MeterKind.CUMULATIVE)
    if organization_ids is not None:
        rows = rows.filter(organization_id__in=list(organization_ids))
    if meters is not None:
        rows = rows.filter(meter_id__in=list(meters))
    swaps: dict[int, list] = defaultdict(list)
    for row in rows.annotate(before=_before()).values("meter_id", "taken_at", "before", "value"):
        swaps[row["meter_id"]].append((row["taken_at"], row["before"], row["value"]))
    return swaps


def cumulative_meters(
    *, organization_ids: Iterable[int] | None, now: datetime, with_rate: bool = False
) -> dict[tuple[int, str], MeterState]:
    """(asset id, lower-cased meter name) -> state, for every cumulative meter of the
    organisations (all when None). Two queries (three with the rate)."""
    meters = Meter.objects.filter(kind=MeterKind.CUMULATIVE)
    if organization_ids is not None:
        organization_ids = list(organization_ids)
        meters = meters.filter(organization_id__in=organization_ids)
    fields = ["id", "public_id", "asset_id", "name", "unit", "last_value", "last_reading_at"]
    if with_rate:
        since = MeterReading.objects.filter(
            meter=OuterRef("pk"), taken_at__gte=now - RATE_WINDOW
        ).order_by("taken_at", "id")
        meters = meters.annotate(
            past_value=Subquery(since.values("value")[:1]),
            past_at=Subquery(since.values("taken_at")[:1]),
        )
        fields += ["past_value", "past_at"]
    swaps = _swaps(None, organization_ids)
    states: dict[tuple[int, str], MeterState] = {}
    for row in meters.values(*fields):
        pairs = swaps.get(row["id"], [])
        offset = replacement_offset([(before, value) for _, before, value in pairs])
        value = None if row["last_value"] is None else row["last_value"] + offset
        state = MeterState(
            meter_id=row["id"],
            public_id=str(row["public_id"]),
            asset_id=row["asset_id"],
            name=row["name"],
            unit=row["unit"],
            value=value,
            last_reading_at=row["last_reading_at"],
        )
        if with_rate:
            state.rate_per_day = _rate(row, pairs)
        states[(row["asset_id"], row["name"].strip().lower())] = state
    return states


def _rate(row: dict, pairs: list) -> float | None:
    past_at, last_at = row.get("past_at"), row["last_reading_at"]
    if past_at is None or last_at is None or last_at <= past_at:
        return None
    if any(past_at < taken_at <= last_at for taken_at, _, _ in pairs):
        return None  # a swap inside the window: raw values do not compare
    days = (last_at - past_at).total_seconds() / 86400
    return max(0.0, (row["last_value"] - row["past_value"]) / days)


def effective_at(meter_id: int, moment: datetime) -> float | None:
    """The effective count of one meter at ``moment`` (its latest reading then)."""
    last = (
        MeterReading.objects.filter(meter_id=meter_id, taken_at__lte=moment)
        .order_by("-taken_at", "-id")
        .values_list("value", flat=True)
        .first()
    )
    if last is None:
        return None
    pairs = [(b, v) for t, b, v in _swaps([meter_id], None).get(meter_id, []) if t <= moment]
    return last + replacement_offset(pairs)
