from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from fieldops.accounts.models import ApiToken, Membership
from fieldops.accounts.schemas import ApiTokenCreatedOut, ApiTokenIn, ApiTokenOut, MeOut
from fieldops.accounts.selectors import api_tokens_for_user
from fieldops.accounts.services import api_token_create, api_token_revoke

router = Router(tags=["accounts"])


def _token_out(token: ApiToken) -> dict:
    return {
        "id": token.public_id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/me", response=MeOut, summary="Who the caller is and which organisation they act in")
def me(request: HttpRequest) -> dict:
    membership: Membership = request.auth
    org = membership.organization
    return {
        "username": membership.user.get_username(),
        "full_name": membership.user.get_full_name(),
        "role": membership.role,
        "organization": {
            "id": org.public_id,
            "name": org.name,
            "slug": org.slug,
            "time_zone": org.time_zone,
        },
    }


@router.get("/tokens", response=list[ApiTokenOut], summary="Your API tokens (never the secret)")
def token_list(request: HttpRequest) -> list[dict]:
    return [_token_out(t) for t in api_tokens_for_user(request.auth.user)]


@router.post(
    "/tokens",
    response={201: ApiTokenCreatedOut},
    summary="Create an API token; the secret is shown only in this answer",
)
def token_create(request: HttpRequest, payload: ApiTokenIn) -> Status:
    issued = api_token_create(
        membership=request.auth, name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, {**_token_out(issued.token), "token": issued.secret})


@router.delete("/tokens/{token_id}", response=ApiTokenOut, summary="Revoke one of your tokens")
def token_revoke(request: HttpRequest, token_id: UUID) -> dict:
    return _token_out(api_token_revoke(membership=request.auth, token_public_id=str(token_id)))
