"""ERP employees become technicians: a membership with the technician role.

A person FieldOps already knows (same e-mail) is linked, never demoted: their membership keeps
its role. Someone new gets a user with an unusable password (an admin invites them to log in).
An employee the ERP deactivates has their technician membership deactivated, never deleted.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from fieldops.accounts.models import Membership, Organization, Role
from fieldops.accounts.services import member_add
from integrations.models import ExternalReference
from integrations.services.local._common import MEMBERSHIP, Context, clip, linked_id
from integrations.unified import Employee


def _split(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first[:150], last.strip()[:150]


def _existing(ctx: Context, ref: ExternalReference, email: str) -> Membership | None:
    pk = linked_id(ref, MEMBERSHIP)
    if pk:
        found = Membership.objects.filter(pk=pk, organization_id=ctx.organization_id).first()
        if found:
            return found
    if not email:
        return None
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        return None
    membership = Membership.objects.filter(user=user, organization_id=ctx.organization_id).first()
    if membership is None:
        membership = member_add(
            organization=Organization.objects.get(pk=ctx.organization_id),
            username=user.get_username(),
            role=Role.TECHNICIAN,
        )
    return membership


def technician_upsert(ctx: Context, ref: ExternalReference, record: Employee) -> tuple[str, int]:
    email = clip(record.email, 254).lower()
    active = record.is_active and not record.is_deleted
    membership = _existing(ctx, ref, email)
    if membership is None:
        first, last = _split(record.name)
        membership = member_add(
            organization=Organization.objects.get(pk=ctx.organization_id),
            username=f"erp-{ctx.connection.pk}-{record.remote_id}"[:150],
            role=Role.TECHNICIAN,
            email=email,
            first_name=first,
            last_name=last,
        )
    if membership.role == Role.TECHNICIAN and membership.is_active != active:
        Membership.objects.filter(pk=membership.pk).update(is_active=active)
    return MEMBERSHIP, membership.pk


def technician_deactivate(ctx: Context, ref: ExternalReference) -> None:
    pk = linked_id(ref, MEMBERSHIP)
    if pk:
        Membership.objects.filter(
            pk=pk, organization_id=ctx.organization_id, role=Role.TECHNICIAN
        ).update(is_active=False)
