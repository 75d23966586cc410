"""The supervisors' asset health and workforce pages."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.assets.factories import make_asset
from tests.dispatch.factories import make_profile
from tests.workorders.factories import assign, make_work_order
from workorders.models import TimeEntry, WorkOrder

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_asset_health_lists_open_work_overdue_and_last_pm(
    supervisor, admin_member, dispatcher, other_org_user, as_member, django_assert_max_num_queries
):
    pump = make_asset(admin_member, "PMP-1")
    make_asset(admin_member, "FAN-1")
    late = make_work_order(dispatcher, asset_id=pump.public_id, title="Seal")
    WorkOrder.objects.filter(pk=late.pk).update(due_at=NOW - timedelta(hours=1))
    pm = make_work_order(dispatcher, asset_id=pump.public_id, work_type="preventive")
    WorkOrder.objects.filter(pk=pm.pk).update(
        status="completed", completed_at=datetime(2026, 3, 1, 9, tzinfo=UTC)
    )
    other_org_user.role = "admin"
    other_org_user.save(update_fields=["role"])
    make_asset(other_org_user, "THEIRS")
    client = as_member(supervisor)
    # Computing the shared page: 3 for the session, 5 for the page, 1 for the site filter, 1 for
    # the nav's count of new requests.
    with django_assert_max_num_queries(10):
        response = client.get("/dashboard/assets/")
    html = response.content.decode()
    assert response.status_code == 200
    # PMP-1 first: 1 open (overdue) work order, last PM 1 Mar.
    assert html.index("PMP-1") < html.index("FAN-1")
    assert "1 Mar 2026" in html
    assert "THEIRS" not in html


@time_machine.travel(NOW, tick=False)
def test_workforce_shows_the_job_load_and_time_worked_today(
    supervisor, dispatcher, technician, as_member, django_assert_max_num_queries
):
    make_profile(technician)
    job = make_work_order(dispatcher, title="Boiler pressure low", estimated_minutes=90)
    assign(job, technician, dispatcher)
    WorkOrder.objects.filter(pk=job.pk).update(status="in_progress")
    TimeEntry.objects.create(
        organization_id=technician.organization_id, work_order=job, technician=technician,
        kind="work", started_at=NOW - timedelta(hours=2), ended_at=NOW - timedelta(minutes=30),
        minutes=90, occurred_at=NOW,
    )  # fmt: skip
    client = as_member(supervisor)
    with django_assert_max_num_queries(8):
        response = client.get("/dashboard/people/")
    html = response.content.decode()
    assert "Boiler pressure low" in html
    # 1 open work order, 1.5 estimated hours, 1.5 h worked today.
    assert html.count("<td>1.5</td>") == 2


def test_technicians_cannot_open_the_overviews(technician, as_member):
    assert as_member(technician).get("/dashboard/assets/").status_code == 403
    assert as_member(technician).get("/dashboard/people/").status_code == 403


def test_condition_rules_near_their_limit_show_on_the_asset(
    supervisor, admin_member, as_member, organization
):
    from assets.models import Meter
    from tests.assets.factories import make_meter
    from workorders.maintenance.models import ConditionRule

    fan = make_asset(admin_member, "FAN-1")
    pump = make_asset(admin_member, "PMP-1")
    vibration = make_meter(admin_member, fan, name="Vibration", kind="gauge", unit="mm/s")
    temperature = make_meter(admin_member, pump, name="Temperature", kind="gauge", unit="C")
    # Fan: 6.5 against a limit of 7.1 rising -> 0.6 headroom <= 10 % of 7.1 (0.71): near.
    Meter.objects.filter(pk=vibration.pk).update(last_value=6.5)
    # Pump: 60 against 90 -> 30 headroom: not near.
    Meter.objects.filter(pk=temperature.pk).update(last_value=60)
    for meter, limit in ((vibration, 7.1), (temperature, 90)):
        ConditionRule.objects.create(
            organization=organization, name=f"{meter.name} high", meter=meter,
            kind="threshold", direction="above", limit=limit,
        )  # fmt: skip
    html = as_member(supervisor).get("/dashboard/assets/").content.decode()
    assert "Vibration high: 6.5 / 7.1 mm/s" in html
    assert "Temperature high" not in html


def test_asset_health_and_workforce_export_as_csv(supervisor, admin_member, technician, as_member):
    make_asset(admin_member, "PMP-1")
    make_profile(technician)
    client = as_member(supervisor)
    assets = client.get("/dashboard/assets/?format=csv")
    assert assets["Content-Type"].startswith("text/csv")
    lines = assets.content.decode().splitlines()
    assert lines[0].startswith("Asset,Name,Location,Status,Open work")
    assert lines[1].startswith("PMP-1,")
    people = client.get("/dashboard/people/?format=csv").content.decode().splitlines()
    assert people[0].startswith("Technician,Team,Status")
    assert len(people) == 2
