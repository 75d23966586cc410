"""API authentication: bearer tokens and the browser session, both ending in a Membership."""

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from fieldops.accounts.models import Membership
from fieldops.accounts.services import api_token_authenticate
from fieldops.errors import AuthRequired
from fieldops.throttling import guard_failed_authentication


class BearerTokenAuth(HttpBearer):
    """A client that sends ``Authorization: Bearer`` chose token auth: a bad token ends there with
    AUTH_REQUIRED, rather than falling through to the session and its CSRF check (403)."""

    openapi_description = "A personal API token: `Authorization: Bearer fo_…`"

    def __call__(self, request: HttpRequest) -> Membership | None:
        header = request.headers.get(self.header)
        if header is None:
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            # Another scheme (a staging proxy's Basic auth) may ride along with a browser
            # session; without one, the session auth declines too and the answer is 401.
            return None
        if not token.strip():
            raise AuthRequired("Send the token as `Authorization: Bearer <token>`.")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Membership:
        api_token = api_token_authenticate(token)
        if api_token is None:
            guard_failed_authentication(request)
            raise AuthRequired("This API token is unknown, expired or revoked.")
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

    def __call__(self, request: HttpRequest) -> Membership | None:
        # Without a signed-in session there is nothing a forged request could ride on: answer
        # AUTH_REQUIRED (ninja's fallback) instead of a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        if not request.user.is_authenticated:
            return None
        return getattr(request, "membership", None)


api_auth = [BearerTokenAuth(), SessionMembershipAuth()]
