from datetime import UTC, datetime

import pytest
import time_machine

from tests.assets.factories import make_asset, make_location


@pytest.fixture
def site(supervisor):
    return make_location(supervisor, "PLANT")


@pytest.fixture
def pump(supervisor, site):
    return make_asset(supervisor, "PMP-1", location=site, asset_type="pump")


@pytest.fixture
def at():
    """``with at(2025, 3, 31, 6):`` freezes the clock at that UTC moment (ticking off)."""

    def travel(*parts: int):
        return time_machine.travel(datetime(*parts, tzinfo=UTC), tick=False)

    return travel
