"""Who may do what: one table from a permission to the roles that hold it, and one check.

Every service, view, API operation and template asks this table (``may`` / ``require``, or the
``can`` context of templates); no other module names roles to decide access. The work-order
lifecycle's moves name their roles through it too (``roles_for``)."""

from dataclasses import dataclass
from types import MappingProxyType

from fieldops.accounts.models import Membership, Role
from fieldops.errors import PermissionDenied

TECHNICIAN, DISPATCHER, SUPERVISOR, ADMIN = (
    Role.TECHNICIAN,
    Role.DISPATCHER,
    Role.SUPERVISOR,
    Role.ADMIN,
)
OFFICE = frozenset({DISPATCHER, SUPERVISOR, ADMIN})


@dataclass(frozen=True)
class Permission:
    roles: frozenset[str]
    # What someone without it is told (an empty text says only "not allowed").
    refusal: str = ""


PERMISSIONS: MappingProxyType[str, Permission] = MappingProxyType(
    {
        # Give work to people, plan it on the board, dispatch, unassign, cancel.
        "work.dispatch": Permission(frozenset({DISPATCHER, ADMIN}), "Only dispatchers plan work."),
        # Make the assignee's moves (travel, start, complete...) on anyone's job.
        "work.stand_in": Permission(frozenset({ADMIN})),
        # Close done work and reopen it.
        "work.oversee": Permission(frozenset({SUPERVISOR, ADMIN})),
        # Change a work order's fields; record work (time, parts, notes) on anyone's job.
        "work.edit": Permission(OFFICE),
        # Approve or reject reported problems.
        "requests.triage": Permission(OFFICE),
        # Create and change locations, assets, meters; import them. (Everyone in the
        # organisation may record readings and report an asset down.)
        "assets.manage": Permission(
            OFFICE, "Only dispatchers, supervisors and admins can change the registry."
        ),
        # The dispatch board, suggestions, the technician list.
        "board.view": Permission(OFFICE, "The dispatch board is for dispatchers and supervisors."),
        # The KPI dashboard and its exports.
        "dashboard.read": Permission(
            OFFICE, "Dashboards are for supervisors, dispatchers and admins."
        ),
        # Maintenance plans and condition rules: read them, write them.
        "maintenance.read": Permission(
            OFFICE, "Maintenance plans are for dispatchers, supervisors and admins."
        ),
        "maintenance.plan": Permission(
            frozenset({SUPERVISOR, ADMIN}),
            "Supervisors and admins define maintenance plans and rules.",
        ),
        # ERP connections: read their state and data; set them up, test and sync them.
        "integrations.read": Permission(OFFICE, "Technicians do not read ERP connections."),
        "integrations.admin": Permission(frozenset({ADMIN}), "Only admins manage ERP connections."),
        # Webhook endpoints, deliveries and flows.
        "webhooks.admin": Permission(frozenset({ADMIN}), "Only admins manage webhooks."),
        # A phone reports its own position (only a technician's is kept).
        "position.report": Permission(
            frozenset({TECHNICIAN}), "Only technicians report their own position and status."
        ),
        # Pages for the field: "My work".
        "field.work": Permission(frozenset({TECHNICIAN})),
        # Operator tools: the system ping.
        "system.ping": Permission(OFFICE),
    }
)


def roles_for(permission: str) -> frozenset[str]:
    """The roles holding ``permission``; an unknown name is a programming error (KeyError)."""
    return PERMISSIONS[permission].roles


def may(membership: Membership | None, permission: str) -> bool:
    return membership is not None and membership.role in roles_for(permission)


def require(membership: Membership | None, permission: str) -> None:
    """PermissionDenied (403) with the permission's own refusal unless the member holds it."""
    if not may(membership, permission):
        raise PermissionDenied(PERMISSIONS[permission].refusal or None)


def can_map(membership: Membership | None) -> dict[str, bool]:
    """Every permission with the member's answer, for templates: ``can.work_dispatch``."""
    return {name.replace(".", "_"): may(membership, name) for name in PERMISSIONS}
