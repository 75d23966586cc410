"""The asset page's "open and past work" fragment, served by the work-order app."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.assets.factories import make_asset
from tests.workorders.factories import assign, make_work_order, move
from workorders.models import Request

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def pump(dispatcher):
    return make_asset(dispatcher, "PMP-001", name="Feed pump")


def test_the_asset_page_loads_this_fragment(as_member, dispatcher, pump):
    page = as_member(dispatcher).get(f"/assets/{pump.public_id}/").content.decode()
    assert f'hx-get="/assets/{pump.public_id}/work/"' in page


def test_open_and_past_work_of_the_asset(as_member, dispatcher, supervisor, technician, pump):
    other_asset = make_asset(dispatcher, "FAN-9")
    leak = assign(
        make_work_order(dispatcher, title="Seal leaking", asset_id=pump.public_id),
        technician,
        dispatcher,
    )
    done = make_work_order(dispatcher, title="Old inspection", asset_id=pump.public_id)
    move(done, supervisor, "cancelled", reason="Duplicate")
    make_work_order(dispatcher, title="Fan noisy", asset_id=other_asset.public_id)
    response = as_member(technician).get(f"/assets/{pump.public_id}/work/", headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment, swapped into the asset page
    open_part, past_part = html.split("Recently finished")
    assert leak.reference in open_part
    assert "Seal leaking" in open_part
    assert "Old inspection" in past_part
    assert "Fan noisy" not in html
    assert f"/work-orders/{leak.reference}/" in html
    assert f"/r/{pump.public_id}/" in html  # the public problem-report form


def test_without_htmx_it_is_a_whole_page(as_member, dispatcher, pump):
    make_work_order(dispatcher, title="Seal leaking", asset_id=pump.public_id)
    html = as_member(dispatcher).get(f"/assets/{pump.public_id}/work/").content.decode()
    assert "<html" in html
    assert "Seal leaking" in html


def test_new_requests_for_the_asset_are_pointed_out(as_member, dispatcher, pump):
    Request.objects.create(
        organization_id=pump.organization_id, asset=pump, description="Grinding noise"
    )
    html = as_member(dispatcher).get(f"/assets/{pump.public_id}/work/", headers=HTMX)
    assert "1 new problem report" in html.content.decode()


def test_another_organisations_asset_is_404(as_member, other_org_user, pump):
    response = as_member(other_org_user).get(f"/assets/{pump.public_id}/work/", headers=HTMX)
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, pump):
    response = client.get(f"/assets/{pump.public_id}/work/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_fragment_runs_a_fixed_number_of_queries(as_member, dispatcher, technician, pump):
    client = as_member(dispatcher)
    url = f"/assets/{pump.public_id}/work/"
    assign(make_work_order(dispatcher, asset_id=pump.public_id), technician, dispatcher)
    client.get(url, headers=HTMX)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, headers=HTMX).status_code == 200
        return len(captured)

    before = count()
    for index in range(6):
        work_order = make_work_order(dispatcher, title=f"Job {index}", asset_id=pump.public_id)
        assign(work_order, technician, dispatcher)
    assert count() == before
