"""An admin sees each ERP connection's circuit breaker on the monitoring page, at phone width
and on a desktop; a dispatcher is refused the page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fieldops.accounts.models import Role
from tests.factories import PASSWORD, MembershipFactory
from tests.integrations.factories import ConnectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}]
)
def test_the_monitor_page_shows_each_connections_breaker(
    live_server, sign_in, organization, viewport
):
    ConnectionFactory(organization=organization, name="Plant SAP")
    ConnectionFactory(
        organization=organization,
        name="NetSuite HQ",
        system="netsuite",
        consecutive_failures=5,
        circuit_open_until=timezone.now() + timedelta(minutes=1),
    )
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    page = sign_in(admin.user.username, PASSWORD, viewport=viewport)
    page.goto(f"{live_server.url}/integrations/webhooks/monitor/")
    rows = page.locator("#connections-h + .table-wrap tbody tr")
    netsuite = rows.filter(has_text="NetSuite HQ").locator("[data-circuit]")
    sap = rows.filter(has_text="Plant SAP").locator("[data-circuit]")
    assert netsuite.inner_text().startswith("Open until")
    assert "(5/5 failures)" in netsuite.inner_text()
    assert sap.inner_text() == "Closed (0/5 failures)"
    header = page.locator("#connections-h + .table-wrap thead th").all_inner_texts()
    assert "Circuit breaker" in header


def test_a_dispatcher_is_refused_the_monitor_page(live_server, sign_in, organization):
    dispatcher = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    page = sign_in(dispatcher.user.username, PASSWORD)
    response = page.goto(f"{live_server.url}/integrations/webhooks/monitor/")
    assert response.status == 403
    assert "Circuit breaker" not in page.content()
