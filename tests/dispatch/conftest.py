import zoneinfo
from datetime import datetime, time

import pytest
import time_machine

from assets.models import Location
from tests.assets.factories import make_asset, make_location
from tests.dispatch.factories import make_skill

# A Wednesday morning in Berlin.
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 5, 6, 9, 0, tzinfo=BERLIN)
PLANT = (52.5200, 13.4050)
NEAR = (52.5300, 13.4500)  # ~3 km from the plant
FAR = (53.5500, 9.9900)  # Hamburg, ~255 km
DAY_SHIFT = (time(7, 0), time(16, 0))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def organization(organization):
    organization.time_zone = "Europe/Berlin"
    organization.save(update_fields=["time_zone"])
    return organization


@pytest.fixture
def plant(dispatcher):
    site = make_location(dispatcher, "PLANT")
    Location.objects.filter(pk=site.pk).update(latitude=PLANT[0], longitude=PLANT[1])
    return site


@pytest.fixture
def boiler_room(dispatcher, plant):
    return make_location(dispatcher, "PLANT-BH", kind="building", parent=plant)


@pytest.fixture
def chiller(dispatcher, boiler_room):
    return make_asset(dispatcher, "CHL-1", location=boiler_room, name="Chiller")


@pytest.fixture
def hvac(organization):
    return make_skill(organization.pk, "hvac", "HVAC")


@pytest.fixture
def fgas(organization):
    return make_skill(organization.pk, "f-gas", "F-gas handling", requires_certification=True)
