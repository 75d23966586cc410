"""What every page's navigation shows of the work: the count of requests waiting for review."""

from django.http import HttpRequest

from fieldops.accounts.models import Role
from workorders.selectors import requests_waiting_count

# The roles that triage requests (and see the Requests link).
TRIAGE_ROLES = (Role.DISPATCHER, Role.ADMIN, Role.SUPERVISOR)


def office_counts(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or membership.role not in TRIAGE_ROLES:
        return {}
    # A callable: counted only by a page that renders the nav, once (the template's `with`).
    return {"new_requests_count": lambda: requests_waiting_count(membership.organization_id)}
