"""The supervisor dashboard in a real browser on the demo data plus two weeks of history; the
screenshot is docs/dashboard.png (shown in the README)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from fieldops.demo import DEMO_PASSWORD, seed_all
from tests.workorders.factories import make_work_order
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


def _history(context) -> None:
    """14 days of created and completed corrective work, some of it late."""
    dispatcher = context.members["dispatcher"]
    now = timezone.now()
    for day in range(14):
        for n in range(1 + day % 4):
            created = now - timedelta(days=day, hours=3 + n)
            work_order = make_work_order(dispatcher, title=f"History {day}-{n}")
            done = day > 1 and n % 3 != 2
            WorkOrder.objects.filter(pk=work_order.pk).update(
                created_at=created,
                work_type="corrective" if n % 2 == 0 else "preventive",
                responded_at=created + timedelta(minutes=40),
                started_at=created + timedelta(hours=2),
                completed_at=created + timedelta(hours=4 + n * 9) if done else None,
                status="completed" if done else "new",
                due_at=created + timedelta(hours=12),
                estimated_minutes=90 + 30 * n,
            )


def test_supervisor_sees_the_dashboard_and_drills_down(sign_in):
    context = seed_all()
    _history(context)
    page = sign_in("supervisor", DEMO_PASSWORD, viewport={"width": 1280, "height": 900})
    assert page.url.endswith("/dashboard/")
    assert page.locator("#kpi-overdue .kpi-value").inner_text().strip() != ""
    page.locator("#kpi-sla_compliance summary").click()
    assert "SLA resolution due time" in page.locator("#kpi-sla_compliance .kpi-def p").inner_text()
    assert page.locator("svg.chart").count() == 3
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    backlog = page.locator("#kpi-backlog .kpi-value a").inner_text().strip()
    page.locator("#kpi-backlog .kpi-value a").click()
    page.wait_for_load_state()
    assert "/dashboard/work/?figure=backlog" in page.url
    # The list holds the figure's work orders: its count is the figure.
    assert page.locator("#drill-count strong").inner_text() == backlog
    assert page.locator(".kpi-drill tbody th[scope=row]").count() == min(int(backlog), 50)
