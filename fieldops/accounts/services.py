"""Writes with rules for organisations, memberships and API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from fieldops.accounts.models import ApiToken, Membership, Organization
from fieldops.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "fo_"  # noqa: S105 - a marker, not a secret


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast unsalted hash is enough to make a leaked
    # table useless while keeping the per-request lookup a single indexed query.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def api_token_create(
    *, membership: Membership, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Give the token a name.", details={"name": "This field is required."}
        )
    if len(name) > 100:
        raise ValidationFailed(details={"name": "At most 100 characters."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(details={"expires_at": "Must be in the future."})
    body = secrets.token_urlsafe(32)
    prefix = body[:8]
    secret = f"{TOKEN_PREFIX}{body}"
    token = ApiToken.objects.create(
        membership=membership,
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, membership: Membership, token_public_id: str) -> ApiToken:
    with transaction.atomic():
        try:
            token = ApiToken.objects.select_for_update().get(
                membership__user_id=membership.user_id, public_id=token_public_id
            )
        except (ApiToken.DoesNotExist, DjangoValidationError, ValueError):
            raise NotFound() from None
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token (with its active membership loaded), or None for unknown, revoked,
    expired, or a person no longer active."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("membership__organization", "membership__user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    membership = token.membership
    if not membership.is_active or not membership.user.is_active:
        return None
    # Throttle the write: one update per minute per token is plenty for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def organization_create(*, name: str, slug: str, time_zone: str = "UTC") -> Organization:
    return Organization.objects.create(name=name, slug=slug, time_zone=time_zone)


def member_add(
    *,
    organization: Organization,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Add a person (creating their user if new) to an organisation with a role."""
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"email": email, "first_name": first_name, "last_name": last_name},
        )
        if created:
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        membership, _ = Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role, "is_active": True}
        )
    return membership
