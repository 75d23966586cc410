"""Another organisation's rows are a 404 through pages and the API, never a 403."""

import pytest

from fieldops.accounts.models import Membership
from fieldops.accounts.services import api_token_create
from fieldops.errors import NotFound
from fieldops.tenancy import get_for_organization

pytestmark = pytest.mark.django_db


def test_get_for_organization_hides_other_tenants(technician, other_org_user):
    own = get_for_organization(
        Membership.objects.all(), organization_id=technician.organization_id, pk=technician.pk
    )
    assert own == technician
    with pytest.raises(NotFound):
        get_for_organization(
            Membership.objects.all(),
            organization_id=technician.organization_id,
            pk=other_org_user.pk,
        )


def test_malformed_ids_are_not_found_not_errors(technician):
    with pytest.raises(NotFound):
        get_for_organization(
            Membership.objects.all(),
            organization_id=technician.organization_id,
            public_id="not-a-uuid",
        )


def test_other_organisations_token_is_not_found_in_api(with_token, technician, other_org_user):
    theirs = api_token_create(membership=other_org_user, name="theirs").token
    response = with_token(technician).delete(f"/api/v1/tokens/{theirs.public_id}")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_other_organisations_token_is_not_found_on_pages(as_member, technician, other_org_user):
    theirs = api_token_create(membership=other_org_user, name="theirs").token
    response = as_member(technician).post(f"/account/tokens/{theirs.public_id}/revoke/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert "theirs" not in as_member(technician).get("/account/tokens/").content.decode()


def test_api_reports_the_callers_own_organisation(with_token, technician, other_org_user):
    assert with_token(technician).get("/api/v1/me").json()["organization"]["slug"] == "acme"
    assert with_token(other_org_user).get("/api/v1/me").json()["organization"]["slug"] == "rival"
