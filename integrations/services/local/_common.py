"""What every local projection shares: the acting membership, reference lookups, truncation."""

from __future__ import annotations

from dataclasses import dataclass, field

from fieldops.accounts.models import Membership, Organization, Role
from fieldops.accounts.services import member_add
from integrations.models import Connection, ExternalReference

ASSET = "assets.asset"
LOCATION = "assets.location"
PART = "workorders.part"
MEMBERSHIP = "accounts.membership"
WORK_ORDER = "workorders.workorder"


def sync_actor(organization_id: int) -> Membership:
    """The membership ERP changes are made as (history shows "ERP sync", source erp).

    The asset and work-order services take a member with a managing role; an ERP has none, so
    each organisation gets one dispatcher that cannot log in (unusable password) and is
    inactive, so it never shows among the people who do the work."""
    username = f"fieldops-erp-sync-{organization_id}"
    membership = (
        Membership.objects.select_related("user")
        .filter(organization_id=organization_id, user__username=username)
        .first()
    )
    if membership is None:
        membership = member_add(
            organization=Organization.objects.get(pk=organization_id),
            username=username,
            role=Role.DISPATCHER,
            first_name="ERP",
            last_name="sync",
        )
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        membership.is_active = False
    return membership


@dataclass
class Context:
    """One page of one connection: caches the actor and resolved references."""

    connection: Connection
    _actor: Membership | None = None
    _resolved: dict[tuple[str, str], int | None] = field(default_factory=dict)

    @property
    def organization_id(self) -> int:
        return self.connection.organization_id

    @property
    def actor(self) -> Membership:
        if self._actor is None:
            self._actor = sync_actor(self.organization_id)
        return self._actor

    def local_id(self, entity: str, remote_id: str | None) -> int | None:
        """The local row a record of this connection became, if it did."""
        if not remote_id:
            return None
        key = (entity, remote_id)
        if key not in self._resolved:
            self._resolved[key] = (
                ExternalReference.objects.filter(
                    connection=self.connection, entity=entity, remote_id=remote_id
                )
                .exclude(local_id=None)
                .values_list("local_id", flat=True)
                .first()
            )
        return self._resolved[key]


def linked_id(ref: ExternalReference, model: str) -> int | None:
    return ref.local_id if ref.local_model == model else None


def clip(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]
