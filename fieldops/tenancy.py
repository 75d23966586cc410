"""Organisation scoping: the only way views and APIs load domain rows."""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from fieldops.errors import NotFound

M = TypeVar("M", bound=Model)


def get_for_organization(queryset: QuerySet[M], *, organization_id: int, **lookup: object) -> M:
    """One row of the organisation, or NotFound — another organisation's row is a 404, never a
    403, so ids of other tenants leak nothing."""
    try:
        return queryset.get(organization_id=organization_id, **lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound() from None
