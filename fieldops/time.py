"""The one time utility: zones, typed times, device times and day boundaries.

A time typed without an offset (a page's ``datetime-local``, an ERP's or a phone's naive ISO
text) is a wall-clock time of the organisation (or its site): it is read in that zone, never in
the server's. A device's own clock is trusted a little into the future and a while into the past.
"""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fieldops.errors import ValidationFailed

# A device clock may run a little fast; anything further ahead is a wrong clock, not the future.
DEVICE_CLOCK_AHEAD = timedelta(minutes=5)
# Offline queues can wait days for signal, but not months.
DEVICE_TIME_MAX_AGE = timedelta(days=30)
UNREADABLE = "Must be a date and time, like 2026-05-04T09:30."
DAY_UNREADABLE = "Must be a date, like 2026-05-04."


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone of that IANA name; UTC for a blank or unknown one (a setting, never a crash)."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def zone_of(holder: object | None) -> zoneinfo.ZoneInfo:
    """The zone of an organisation, a membership (its organisation's) or a site (its own, when
    it has one, else its organisation's)."""
    own = getattr(holder, "time_zone", None)
    if own:
        return zone_named(own)
    organization = getattr(holder, "organization", None)
    return zone_named(getattr(organization, "time_zone", None))


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """An aware datetime: as given when it has an offset, else the wall-clock time in ``zone``."""
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, zone)
    return moment


def parse_moment(value: str | datetime | None, *, zone: tzinfo, field: str) -> datetime | None:
    """An ISO-8601 or ``datetime-local`` value, aware; ``None`` when blank. Unreadable text is
    a VALIDATION_ERROR on ``field``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return in_zone(value, zone)
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well formed but impossible, like 2026-02-30T10:00
        parsed = None
    if parsed is None:
        raise ValidationFailed(details={field: UNREADABLE})
    return in_zone(parsed, zone)


def parse_day(value: str | None, *, field: str) -> date | None:
    """A calendar date as YYYY-MM-DD; ``None`` when blank."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(details={field: DAY_UNREADABLE}) from None


def device_time(
    value: datetime | None, *, field: str = "occurred_at", now: datetime | None = None
) -> datetime:
    """When something happened on a device: its time when given and sane, else now. A few
    minutes ahead is a fast clock (taken as now); further ahead, or older than 30 days, is
    refused on ``field``."""
    now = now or timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise ValidationFailed(details={field: "Give a time zone (e.g. 2026-05-01T10:02:00Z)."})
    if value > now + DEVICE_CLOCK_AHEAD:
        raise ValidationFailed(details={field: "Is in the future; check the device clock."})
    if value < now - DEVICE_TIME_MAX_AGE:
        raise ValidationFailed(details={field: "Is more than 30 days ago."})
    return min(value, now)


def clamp_device_time(value: datetime | None, *, now: datetime | None = None) -> datetime:
    """A device time that is only informative (a last-known position): never refused, at most a
    fast clock's few minutes ahead."""
    now = now or timezone.now()
    return min(value or now, now + DEVICE_CLOCK_AHEAD)


def local_date(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def today_in(zone: tzinfo, *, now: datetime | None = None) -> date:
    return local_date(now or timezone.now(), zone)


def day_start(day: date, zone: tzinfo) -> datetime:
    """Local midnight of ``day`` (aware), whatever a daylight-saving change does that day."""
    return datetime.combine(day, time.min, tzinfo=zone)


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of a local calendar day: 23 or 25 hours on a daylight-saving change."""
    return day_start(day, zone), day_start(day + timedelta(days=1), zone)


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
