"""Personas and clients shared by every test module."""

import pytest
from django.test import Client

from fieldops.accounts.models import Membership, Organization, Role
from fieldops.accounts.services import api_token_create
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def organization(db) -> Organization:
    return OrganizationFactory(name="Acme Maintenance", slug="acme")


@pytest.fixture
def other_organization(db) -> Organization:
    return OrganizationFactory(name="Rival Services", slug="rival")


@pytest.fixture
def technician(organization) -> Membership:
    return MembershipFactory(organization=organization, role=Role.TECHNICIAN)


@pytest.fixture
def dispatcher(organization) -> Membership:
    return MembershipFactory(organization=organization, role=Role.DISPATCHER)


@pytest.fixture
def supervisor(organization) -> Membership:
    return MembershipFactory(organization=organization, role=Role.SUPERVISOR)


@pytest.fixture
def admin_member(organization) -> Membership:
    return MembershipFactory(organization=organization, role=Role.ADMIN)


@pytest.fixture
def other_org_user(other_organization) -> Membership:
    """A dispatcher of another organisation: must see none of ``organization``'s rows."""
    return MembershipFactory(organization=other_organization, role=Role.DISPATCHER)


def client_for(membership: Membership) -> Client:
    """A browser-like client signed in as ``membership`` (session auth, CSRF enforced)."""
    client = Client(enforce_csrf_checks=False)
    client.force_login(membership.user)
    return client


def token_client_for(membership: Membership) -> Client:
    """An API client that authenticates with a fresh bearer token of ``membership``."""
    issued = api_token_create(membership=membership, name="test")
    return Client(headers={"Authorization": f"Bearer {issued.secret}"})


@pytest.fixture
def as_member():
    return client_for


@pytest.fixture
def with_token():
    return token_client_for


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache; ids repeat across rolled-back tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
