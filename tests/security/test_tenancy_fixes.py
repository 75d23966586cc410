"""Regressions found by the authorisation matrix."""

import pytest

from integrations.webhooks.models import WebhookAlert
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_dismissing_another_organisations_alert_is_not_found_and_changes_nothing(
    admin_member, other_organization
):
    alert = WebhookAlert.objects.create(
        organization=other_organization, kind="endpoint_disabled", message="Endpoint off"
    )
    response = client_for(admin_member).post(f"/integrations/webhooks/alerts/{alert.pk}/dismiss/")
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.resolved_at is None


def test_dismissing_an_own_alert_resolves_it(admin_member):
    alert = WebhookAlert.objects.create(
        organization=admin_member.organization, kind="endpoint_disabled", message="Endpoint off"
    )
    response = client_for(admin_member).post(f"/integrations/webhooks/alerts/{alert.pk}/dismiss/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_at is not None
