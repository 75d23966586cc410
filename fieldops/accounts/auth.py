"""API authentication: bearer tokens and the browser session, both ending in a Membership."""

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from fieldops.accounts.models import Membership
from fieldops.accounts.services import api_token_authenticate
from fieldops.throttling import guard_failed_authentication


class BearerTokenAuth(HttpBearer):
    openapi_description = "A personal API token: `Authorization: Bearer fo_…`"

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        api_token = api_token_authenticate(token)
        if api_token is None:
            guard_failed_authentication(request)
            return None
        request.membership = api_token.membership
        request.api_token_id = api_token.pk
        return api_token.membership


class SessionMembershipAuth(APIKeyCookie):
    """The browser's session (CSRF enforced on unsafe methods)."""

    openapi_description = "The browser session cookie; send X-CSRFToken on writes."

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        if not request.user.is_authenticated:
            return None
        return getattr(request, "membership", None)


api_auth = [BearerTokenAuth(), SessionMembershipAuth()]
