"""Work-order builders: through the services, so numbers, SLA and history are always right."""

from fieldops.accounts.models import Membership, Role
from tests.factories import MembershipFactory
from workorders import services
from workorders.models import Part, WorkOrder


def make_work_order(
    creator: Membership,
    *,
    title: str = "Pump leaking at the seal",
    checklist: list[services.ChecklistItemSpec] | None = None,
    **fields,
) -> WorkOrder:
    spec = services.WorkOrderSpec(title=title, checklist=checklist or [], **fields)
    work_order, _ = services.work_order_create(
        membership=creator, organization_id=creator.organization_id, spec=spec
    )
    return work_order


def assign(work_order: WorkOrder, technician: Membership, dispatcher: Membership | None = None):
    dispatcher = dispatcher or MembershipFactory(
        organization_id=work_order.organization_id, role=Role.DISPATCHER
    )
    return services.work_order_assign(
        membership=dispatcher,
        work_order=work_order,
        technician_ids=[technician.public_id],
        expected_version=None,
    )


def move(work_order: WorkOrder, by: Membership, to: str, **kwargs) -> WorkOrder:
    return services.work_order_transition(
        membership=by, work_order=work_order, to_status=to, expected_version=None, **kwargs
    )


def make_part(organization_id: int, code: str = "SEAL-40", name: str = "Mechanical seal 40 mm"):
    return Part.objects.create(organization_id=organization_id, code=code, name=name)
