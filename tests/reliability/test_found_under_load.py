"""Bugs bench/load.py found, each kept fixed by a test here."""

from workorders import services
from workorders.models import ChangeSource


def test_job_page_of_a_system_created_work_order_shows_system_as_the_actor(dispatcher, as_member):
    # PM generation and ERP syncs open work orders with no member behind them; their history
    # rows have no actor, and the page failed with a 500 rendering them.
    work_order, _ = services.work_order_create(
        membership=None,
        organization_id=dispatcher.organization_id,
        spec=services.WorkOrderSpec(title="Quarterly inspection"),
        source=ChangeSource.SYSTEM,
    )
    response = as_member(dispatcher).get(f"/work-orders/{work_order.reference}/")
    assert response.status_code == 200
    assert "system ·" in response.content.decode()
