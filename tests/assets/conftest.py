import pytest

from tests.assets.factories import make_asset, make_location, make_meter


@pytest.fixture
def site(dispatcher):
    return make_location(dispatcher, "PLANT-1")


@pytest.fixture
def building(dispatcher, site):
    return make_location(dispatcher, "B1", kind="building", parent=site)


@pytest.fixture
def area(dispatcher, building):
    return make_location(dispatcher, "B1-BOILER", kind="area", parent=building)


@pytest.fixture
def pump(dispatcher, area):
    return make_asset(
        dispatcher,
        "PMP-001",
        location=area,
        name="Feed pump",
        asset_type="pump",
        criticality="high",
        serial_number="SN-77",
        manufacturer="Grundfos",
    )


@pytest.fixture
def hours_meter(dispatcher, pump):
    return make_meter(dispatcher, pump)


@pytest.fixture
def temp_meter(dispatcher, pump):
    return make_meter(
        dispatcher,
        pump,
        name="Bearing temperature",
        kind="gauge",
        unit="°C",
        min_value=-40,
        max_value=200,
    )


@pytest.fixture
def foreign_asset(other_org_user):
    site = make_location(other_org_user, "RIVAL-SITE")
    asset = make_asset(other_org_user, "PMP-001", location=site, name="Rival pump")
    meter = make_meter(other_org_user, asset)
    return asset, meter, site
