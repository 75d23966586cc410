"""The one time utility: how a typed time, a typed day and a zone's name are read, written out
literally; and no other module looks a zone up itself."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fieldops.errors import ValidationFailed
from fieldops.time import DAY_UNREADABLE, UNREADABLE, parse_day, parse_moment, zone_named

BERLIN = zone_named("Europe/Berlin")
ROOT = Path(__file__).resolve().parents[2]

# typed (on a Berlin organisation's page or API call) -> the instant in UTC, or the refusal.
MOMENTS = [
    ("2026-07-01T09:30", datetime(2026, 7, 1, 7, 30, tzinfo=UTC)),
    ("2026-01-15T09:30", datetime(2026, 1, 15, 8, 30, tzinfo=UTC)),
    ("2026-07-01T09:30:00Z", datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),
    ("2026-07-01T09:30:00+05:00", datetime(2026, 7, 1, 4, 30, tzinfo=UTC)),
    ("  2026-07-01T09:30 ", datetime(2026, 7, 1, 7, 30, tzinfo=UTC)),
    ("", None),
    ("tomorrow", UNREADABLE),
    ("2026-02-30T10:00", UNREADABLE),
]
DAYS = [
    ("2026-07-01", date(2026, 7, 1)),
    ("", None),
    ("01/07/2026", DAY_UNREADABLE),
    ("2026-02-30", DAY_UNREADABLE),
]
ZONES = [
    ("Europe/Berlin", "Europe/Berlin"),
    ("", "UTC"),
    (None, "UTC"),
    ("Mars/Olympus", "UTC"),
    ("../etc/passwd", "UTC"),
]


@pytest.mark.parametrize(("typed", "expected"), MOMENTS)
def test_a_typed_time_is_read_in_the_given_zone(typed, expected):
    if isinstance(expected, str):
        with pytest.raises(ValidationFailed) as refused:
            parse_moment(typed, zone=BERLIN, field="start")
        assert refused.value.details == {"start": expected}
    else:
        moment = parse_moment(typed, zone=BERLIN, field="start")
        assert (moment.astimezone(UTC) if moment else None) == expected


@pytest.mark.parametrize(("typed", "expected"), DAYS)
def test_a_typed_day(typed, expected):
    if isinstance(expected, str):
        with pytest.raises(ValidationFailed) as refused:
            parse_day(typed, field="day")
        assert refused.value.details == {"day": expected}
    else:
        assert parse_day(typed, field="day") == expected


@pytest.mark.parametrize(("name", "expected"), ZONES)
def test_a_zone_by_its_name_never_crashes(name, expected):
    assert str(zone_named(name)) == expected


def test_no_module_looks_a_zone_up_itself():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("fieldops", "assets", "workorders", "integrations")
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "fieldops" / "time.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bZoneInfo\(", line)
    ]
    assert found == []
