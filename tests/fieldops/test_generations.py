"""Generation tokens: a bump after commit makes every reader's key move; a cache outage does not
fail the committed change."""

from unittest import mock

from fieldops.events import Event
from fieldops.generations import Generation


def test_a_bump_moves_the_token_for_that_organisation_only():
    marks = Generation("test:generation:{}")
    before = (marks.current(1), marks.current(2))
    marks.bump(1)
    assert marks.current(1) not in ("", before[0])
    assert marks.current(2) == before[1]
    again = marks.current(1)
    marks.bump_for_many(
        [
            Event(type="workorder.updated", organization_id=1, data={}),
            Event(type="workorder.updated", organization_id=1, data={}),
        ]
    )
    assert marks.current(1) != again


def test_a_cache_outage_is_logged_not_raised(caplog):
    marks = Generation("test:generation:{}")
    with mock.patch("fieldops.generations.cache.set", side_effect=ConnectionError("down")):
        marks.bump(7)
    assert "Could not mark test:generation:7 stale" in caplog.text
