from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from fieldops.accounts.selectors import membership_for_session
from fieldops.time import zone_of

SESSION_ORGANIZATION_KEY = "organization_id"


class MembershipMiddleware:
    """Sets ``request.membership``: who the signed-in user acts as (organisation and role), and
    shows the pages in the organisation's zone (times render in it, "today" is its today).

    API token requests set it in the API's auth instead; both end in the same attribute, so every
    view and service scopes by ``request.membership.organization_id``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None
        if request.user.is_authenticated:
            request.membership = membership_for_session(
                request.user, request.session.get(SESSION_ORGANIZATION_KEY)
            )
        if request.membership is None:
            return self.get_response(request)
        with timezone.override(zone_of(request.membership)):
            return self.get_response(request)
