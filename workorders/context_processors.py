"""What every page's navigation shows of the work: the count of requests waiting for review."""

from django.http import HttpRequest

from fieldops.accounts.permissions import may
from workorders.selectors import requests_waiting_count


def office_counts(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if not may(membership, "requests.triage"):
        return {}
    # A callable: counted only by a page that renders the nav, once (the template's `with`).
    return {"new_requests_count": lambda: requests_waiting_count(membership.organization_id)}
