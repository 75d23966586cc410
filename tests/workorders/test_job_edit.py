"""Editing a work order's details: the page and the API's PATCH are one change (WorkOrderPatch
read, work_order_update applied), with the same answers for the same input."""

from datetime import UTC, datetime

import pytest

from tests.workorders.factories import make_work_order
from workorders.models import WorkOrder
from workorders.views.edit_form import edit_values

pytestmark = pytest.mark.django_db
JSON = "application/json"

# (the change, as the API sends it and as the page's form does) -> status, and what is read back
# (the field refused, or the field's new value).
DUE = datetime(2031, 5, 4, 16, 30, tzinfo=UTC)
CHANGES = [
    ({"due_at": "2031-05-04T16:30:00+00:00"}, {"due_at": "2031-05-04T16:30"}, 200, ("due_at", DUE)),
    ({"required_skill": "hvac"}, {"required_skill": "hvac"}, 200, ("required_skill", "hvac")),
    ({"estimated_minutes": 90}, {"estimated_minutes": "90"}, 200, ("estimated_minutes", 90)),
    ({"estimated_minutes": 0}, {"estimated_minutes": "0"}, 422, "estimated_minutes"),
    ({"title": ""}, {"title": ""}, 422, "title"),
    ({"priority": "p9"}, {"priority": "p9"}, 422, "priority"),
]
# Where the page shows each field's problem.
ERROR_IDS = {
    "estimated_minutes": "e-ed-estimate",
    "title": "e-ed-title",
    "priority": "e-ed-priority",
}


def _api(client, work_order, change):
    return client.patch(
        f"/api/v1/work-orders/{work_order.reference}",
        {"version": work_order.version, **change},
        content_type=JSON,
    )


def _page(client, work_order, change):
    shown = edit_values(work_order)
    form = {"version": work_order.version, **{f"was_{k}": v for k, v in shown.items()}}
    return client.post(f"/work-orders/{work_order.reference}/edit/", form | shown | change)


@pytest.mark.parametrize(("api", "page", "status", "outcome"), CHANGES)
def test_the_page_and_the_api_change_the_details_alike(
    as_member, with_token, dispatcher, api, page, status, outcome
):
    by_api, by_page = make_work_order(dispatcher), make_work_order(dispatcher)
    api_answer = _api(with_token(dispatcher), by_api, api)
    page_answer = _page(as_member(dispatcher), by_page, page)

    assert api_answer.status_code == status, api_answer.content
    assert page_answer.status_code == (302 if status == 200 else status)
    for before in (by_api, by_page):
        after = WorkOrder.objects.get(pk=before.pk)
        if status == 200:
            field, value = outcome
            assert (getattr(after, field), after.version) == (value, before.version + 1)
        else:
            assert (after.title, after.priority, after.version) == (
                before.title,
                before.priority,
                before.version,
            )
    if status != 200:
        assert outcome in str(api_answer.json()["error"]["details"])
        assert f'id="{ERROR_IDS[outcome]}"' in page_answer.content.decode()


def test_a_technician_cannot_edit_the_details(as_member, technician, dispatcher):
    work_order = make_work_order(dispatcher)
    answer = _page(as_member(technician), work_order, {"title": "Mine now"})
    assert answer.status_code == 403
    assert WorkOrder.objects.get(pk=work_order.pk).title == work_order.title


# A due time typed without an offset, in an organisation on Berlin time, through each door ->
# the instant stored (or the field refused). Before, the API read it as UTC and the page as Berlin.
BERLIN_DUE = [
    ("2031-05-04T16:30", 200, datetime(2031, 5, 4, 14, 30, tzinfo=UTC)),
    ("2031-01-10T08:00", 200, datetime(2031, 1, 10, 7, 0, tzinfo=UTC)),
    ("2031-05-04T16:30+00:00", 200, datetime(2031, 5, 4, 16, 30, tzinfo=UTC)),
    ("soon", 422, "Must be a date and time, like 2026-05-04T09:30."),
]


@pytest.mark.parametrize(("typed", "status", "outcome"), BERLIN_DUE)
def test_a_typed_due_time_is_read_in_the_organisations_zone_through_both_doors(
    as_member, with_token, dispatcher, typed, status, outcome
):
    dispatcher.organization.time_zone = "Europe/Berlin"
    dispatcher.organization.save(update_fields=["time_zone"])
    by_api, by_page = make_work_order(dispatcher), make_work_order(dispatcher)
    api_answer = _api(with_token(dispatcher), by_api, {"due_at": typed})
    page_answer = _page(as_member(dispatcher), by_page, {"due_at": typed})
    assert (api_answer.status_code, page_answer.status_code) == (
        status,
        302 if status == 200 else status,
    )
    stored = [WorkOrder.objects.get(pk=w.pk).due_at for w in (by_api, by_page)]
    if status == 200:
        assert stored == [outcome, outcome]
    else:
        assert stored == [by_api.due_at, by_page.due_at]
        assert api_answer.json()["error"]["details"]["fields"] == {"due_at": outcome}
        assert outcome in page_answer.content.decode()
