"""Schedule arithmetic on local dates. Pure functions: no database, no clock.

Due dates are calendar dates in the organisation's time zone, so a daylight-saving change never
moves one. Month steps clamp to the month's last day and are always counted from the grid's
origin, never chained: 31 Jan + 1 month is 28 (or 29) Feb, + 2 months is 31 Mar, not 28 Mar.
"""

import calendar
from datetime import date, datetime, time, timedelta

from fieldops.time import local_date, zone_named

# The nominal length used for tolerance windows (a month is 365.25 / 12 days).
NOMINAL_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}
# The shortest a step can be (February), used to refuse lead times as long as the interval.
SHORTEST_DAYS = {"days": 1, "weeks": 7, "months": 28}
WORK_START = time(8, 0)


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_interval(start: date, count: int, unit: str, steps: int = 1) -> date:
    """``start`` moved ``steps`` times ``count`` ``unit`` (days, weeks or months)."""
    if unit == "days":
        return start + timedelta(days=count * steps)
    if unit == "weeks":
        return start + timedelta(weeks=count * steps)
    if unit == "months":
        return add_months(start, count * steps)
    raise ValueError(f"Unknown interval unit {unit!r}")


def first_step_on_or_after(origin: date, count: int, unit: str, day: date) -> int:
    """The smallest k >= 0 with ``add_interval(origin, count, unit, k) >= day``."""
    if day <= origin:
        return 0
    if unit == "months":
        months = (day.year - origin.year) * 12 + day.month - origin.month
        k = max(0, months // count - 1)
    else:
        k = (day - origin).days // (count * (7 if unit == "weeks" else 1))
    while add_interval(origin, count, unit, k) < day:
        k += 1
    return k


def tolerance_days(count: int, unit: str, percent: int) -> int:
    return round(count * NOMINAL_DAYS[unit] * percent / 100)


def shortest_interval_days(count: int, unit: str) -> int:
    return count * SHORTEST_DAYS[unit]


def local_today(moment: datetime, time_zone: str) -> date:
    """The plan's calendar date of ``moment``, in the organisation's zone (by its name)."""
    return local_date(moment, zone_named(time_zone))


def local_start(day: date, time_zone: str) -> datetime:
    """The start of the working day ``day`` in the zone, as an aware datetime (DST-correct)."""
    return datetime.combine(day, WORK_START, tzinfo=zone_named(time_zone))


def effective_value(raw: float, offset: float) -> float:
    return raw + offset


def replacement_offset(pairs: list[tuple[float | None, float]]) -> float:
    """How much to add to a cumulative meter's raw value so the count continues across meter
    swaps. ``pairs`` holds, per replacement reading, (the reading just before it, its value):
    the new meter starts where the old one stopped (usage during the swap itself is unknown)."""
    return sum((before or 0.0) - after for before, after in pairs)


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(intercept, slope) of the best straight line through (x, y) points, or None."""
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    return mean_y - slope * mean_x, slope
