"""The board page, its live fragment with ``since``, the plan panel, and the JSON API."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fieldops.accounts.models import Role
from tests.dispatch.conftest import BERLIN, DAY_SHIFT, NEAR
from tests.dispatch.factories import make_profile
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order
from workorders.dispatch import board_cache
from workorders.dispatch.models import AssignmentOverride, DeviceState
from workorders.dispatch.services import device_state_record, technician_position_report
from workorders.models import Status, WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(organization, hvac):
    people = []
    for name in ("Ann", "Bob"):
        member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
        member.user.first_name, member.user.last_name = name, "Tech"
        member.user.save()
        make_profile(member, skills={hvac: 3}, home=NEAR, all_week=DAY_SHIFT)
        people.append(member)
    return people


def test_board_lists_unassigned_work_by_priority_then_sla(as_member, dispatcher, crew, chiller):
    low = make_work_order(dispatcher, title="Low", priority="p4", asset_id=chiller.public_id)
    urgent = make_work_order(dispatcher, title="Urgent", priority="p1")
    taken = make_work_order(dispatcher, title="Taken", priority="p1")
    assign(taken, crew[0], dispatcher)

    page = as_member(dispatcher).get("/board/")

    assert page.status_code == 200
    html = page.content.decode()
    queue = html[html.index('id="queue-h"') : html.index('id="lanes-h"')]
    assert queue.index(urgent.reference) < queue.index(low.reference)
    assert taken.reference not in queue
    lanes = html[html.index('id="lanes-h"') : html.index('id="map-h"')]
    assert "Ann Tech" in lanes
    assert taken.reference in lanes
    assert "<svg" in html
    assert "https://" not in html.split("<main", 1)[1]


def test_lanes_show_the_day_in_time_order_and_device_state(as_member, dispatcher, crew, frozen):
    later = make_work_order(
        dispatcher, title="Later", scheduled_start=datetime(2026, 5, 6, 14, 0, tzinfo=BERLIN)
    )
    sooner = make_work_order(
        dispatcher, title="Sooner", scheduled_start=datetime(2026, 5, 6, 8, 0, tzinfo=BERLIN)
    )
    for wo in (later, sooner):
        assign(wo, crew[0], dispatcher)
    device_state_record(
        membership=crew[0],
        device_id="phone-1",
        pending=3,
        synced_at=timezone.now() - timedelta(hours=2),
    )
    html = as_member(dispatcher).get("/board/").content.decode()
    lane = html[html.index("Ann Tech") : html.index("Bob Tech")]
    assert lane.index(sooner.reference) < lane.index(later.reference)
    assert "3 changes waiting" in lane
    assert "probably offline" in lane


def test_filters_narrow_the_queue_and_lanes(as_member, dispatcher, crew, hvac, organization):
    plain = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    plain.user.first_name = "Plain"
    plain.user.save()
    needs = make_work_order(dispatcher, title="Needs HVAC", required_skill="hvac", priority="p2")
    other = make_work_order(dispatcher, title="Anything", priority="p3")

    html = as_member(dispatcher).get("/board/?skill=hvac").content.decode()
    assert needs.reference in html
    assert other.reference not in html
    assert "Ann Tech" in html
    assert "Plain" not in html
    html = as_member(dispatcher).get("/board/?priority=p3").content.decode()
    assert other.reference in html
    assert needs.reference not in html


def test_board_runs_a_fixed_number_of_queries(
    as_member, dispatcher, crew, chiller, organization, hvac, django_assert_max_num_queries
):
    client = as_member(dispatcher)
    for i in range(2):
        assign(make_work_order(dispatcher, title=f"J{i}", asset_id=chiller.public_id), crew[0])
        make_work_order(dispatcher, title=f"Q{i}", asset_id=chiller.public_id)
    with django_assert_max_num_queries(30) as small:
        assert client.get("/board/").status_code == 200
    for i in range(6):
        member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
        make_profile(member, skills={hvac: 2}, home=NEAR, all_week=DAY_SHIFT)
        device_state_record(membership=member, device_id="p", pending=1, synced_at=None)
        assign(make_work_order(dispatcher, title=f"K{i}", asset_id=chiller.public_id), member)
        make_work_order(dispatcher, title=f"R{i}", asset_id=chiller.public_id)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/board/").status_code == 200


def test_live_fragment_with_since_returns_204_until_something_changes(as_member, dispatcher, crew):
    client = as_member(dispatcher)
    wo = make_work_order(dispatcher, title="Fresh")
    first = client.get("/board/", headers={"HX-Request": "true", "HX-Target": "board-live"})
    assert first.status_code == 200
    assert 'id="board-live"' in first.content.decode()
    assert "<html" not in first.content.decode()

    # What a client that rendered a minute from now would ask: nothing new since then.
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert client.get("/board/", {"since": later}).status_code == 204

    # A change after the client's last render: the fragment comes back, the job highlighted.
    seen = (timezone.now() - timedelta(minutes=5)).isoformat()
    assign(wo, crew[0], dispatcher)
    changed = client.get(
        "/board/", {"since": seen}, headers={"HX-Request": "true", "HX-Target": "board-live"}
    )
    assert changed.status_code == 200
    assert f'id="card-{wo.reference}"' in changed.content.decode()
    # The fragment is shared; the viewer's own "what changed" is a header board.js highlights.
    assert changed["X-Board-Changed"].split() == [wo.reference]
    assert changed["X-Board-As-Of"]


def test_a_device_report_also_counts_as_a_change(as_member, dispatcher, crew):
    client = as_member(dispatcher)
    later = timezone.now() + timedelta(minutes=1)
    device_state_record(membership=crew[1], device_id="x", pending=2, synced_at=timezone.now())
    DeviceState.objects.update(updated_at=later + timedelta(seconds=1))
    assert client.get("/board/", {"since": later.isoformat()}).status_code == 200


def test_technicians_and_other_organisations_cannot_use_the_board(
    as_member, technician, other_org_user, dispatcher
):
    assert as_member(technician).get("/board/").status_code == 403
    wo = make_work_order(dispatcher, title="Ours")
    response = as_member(other_org_user).get(f"/board/plan/?wo={wo.reference}")
    assert response.status_code == 404
    assert wo.reference not in as_member(other_org_user).get("/board/").content.decode()


def test_plan_panel_lists_suggestions_and_assigns(as_member, dispatcher, crew):
    wo = make_work_order(dispatcher, title="Chiller", required_skill="hvac")
    client = as_member(dispatcher)
    panel = client.get(f"/board/plan/?wo={wo.reference}", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    assert "Has HVAC level 3/5" in panel.content.decode()

    done = client.post(
        "/board/plan/",
        {"wo": wo.reference, "version": wo.version, "technician": str(crew[1].public_id)},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    assert "board:refresh" in done["HX-Trigger"]
    wo.refresh_from_db()
    assert wo.status == Status.ASSIGNED


def test_plan_without_the_skill_asks_for_an_override_then_records_it(
    as_member, dispatcher, organization
):
    novice = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    wo = make_work_order(dispatcher, title="Chiller", required_skill="hvac")
    client = as_member(dispatcher)
    values = {"wo": wo.reference, "version": wo.version, "technician": str(novice.public_id)}

    refused = client.post("/board/plan/", values, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "Lacks skill" in refused.content.decode()
    assert "Reason for the override" in refused.content.decode()

    done = client.post(
        "/board/plan/",
        {**values, "override": "1", "override_reason": "Covering for Ann"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    assert AssignmentOverride.objects.get().reason == "Covering for Ann"


def test_dropping_on_an_hour_reschedules(as_member, dispatcher, crew, frozen):
    wo = make_work_order(dispatcher, title="Move me")
    assign(wo, crew[0], dispatcher)
    wo.refresh_from_db()
    response = as_member(dispatcher).post(
        "/board/plan/",
        {
            "wo": wo.reference,
            "version": wo.version,
            "technician": str(crew[0].public_id),
            "start": "2026-05-06T13:00:00+02:00",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    wo.refresh_from_db()
    assert wo.scheduled_start == datetime(2026, 5, 6, 13, 0, tzinfo=BERLIN)
    assert list(wo.assignments.values_list("membership_id", flat=True)) == [crew[0].pk]


# --- API ----------------------------------------------------------------------------------------


def test_api_technicians_counts_a_certificate_by_the_organisations_date(
    with_token, dispatcher, crew, fgas
):
    import time_machine

    from tests.dispatch.factories import certify
    from workorders.dispatch.models import TechnicianSkill

    profile = crew[0].technician_profile
    TechnicianSkill.objects.create(profile=profile, skill=fgas, level=2)
    certify(profile, fgas, expires_on=datetime(2026, 5, 6).date())
    client = with_token(dispatcher)
    # 00:30 on 7 May in Berlin, still 6 May on the server's UTC clock: the certificate has lapsed.
    with time_machine.travel(datetime(2026, 5, 7, 0, 30, tzinfo=BERLIN), tick=False):
        people = client.get("/api/v1/technicians").json()
    ann = next(p for p in people if p["name"] == "Ann Tech")
    assert next(s for s in ann["skills"] if s["code"] == "f-gas")["counts"] is False


def test_api_technicians_and_suggestions(with_token, dispatcher, crew, fgas, frozen):
    from datetime import date

    from tests.dispatch.factories import certify

    profile = crew[0].technician_profile
    from workorders.dispatch.models import TechnicianSkill

    TechnicianSkill.objects.create(profile=profile, skill=fgas, level=2)
    certify(profile, fgas, expires_on=date(2026, 1, 1))
    client = with_token(dispatcher)

    people = client.get("/api/v1/technicians").json()
    ann = next(p for p in people if p["name"] == "Ann Tech")
    fgas_out = next(s for s in ann["skills"] if s["code"] == "f-gas")
    assert fgas_out["counts"] is False
    assert fgas_out["certified_until"] == "2026-01-01"

    wo = make_work_order(dispatcher, title="Gas", required_skill="f-gas")
    response = client.get(f"/api/v1/work-orders/{wo.reference}/suggestions")
    assert response.status_code == 200, response.content
    ranked = response.json()
    assert {r["name"] for r in ranked} == {"Ann Tech", "Bob Tech"}
    assert all(r["needs_override"] for r in ranked)
    assert any("certification expired" in reason["text"] for reason in ranked[0]["reasons"])


def test_api_dispatch_needs_override_code(with_token, dispatcher, organization):
    novice = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    wo = make_work_order(dispatcher, title="Gas", required_skill="f-gas")
    client = with_token(dispatcher)
    url = f"/api/v1/work-orders/{wo.reference}/dispatch"
    body = {"technician_ids": [str(novice.public_id)], "version": wo.version}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "OVERRIDE_REQUIRED"
    done = client.post(
        url,
        {**body, "override": True, "override_reason": "Supervised"},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "assigned"


def test_api_suggestions_of_another_organisation_are_404(with_token, dispatcher, other_org_user):
    wo = make_work_order(dispatcher, title="Ours")
    response = with_token(other_org_user).get(f"/api/v1/work-orders/{wo.reference}/suggestions")
    assert response.status_code == 404


def test_technician_reports_position_only_with_consent(with_token, technician):
    client = with_token(technician)
    url = "/api/v1/technicians/me/position"
    assert (
        client.post(
            url, {"consent": True, "latitude": 52.5, "longitude": 13.4}, "application/json"
        ).status_code
        == 204
    )
    profile = technician.technician_profile
    profile.refresh_from_db()
    assert float(profile.last_latitude) == 52.5
    assert client.post(url, {"consent": False}, "application/json").status_code == 204
    profile.refresh_from_db()
    assert profile.last_latitude is None
    assert profile.last_position_at is None


def test_device_state_keeps_the_newest_report(technician):
    now = timezone.now()
    device_state_record(membership=technician, device_id="d1", pending=2, synced_at=now)
    device_state_record(
        membership=technician, device_id="d1", pending=9, synced_at=now - timedelta(minutes=5)
    )
    state = DeviceState.objects.get()
    assert (state.pending_changes, state.last_synced_at) == (2, now)
    assert state.organization_id == technician.organization_id


LIVE = {"HX-Request": "true", "HX-Target": "board-live"}


def test_dispatchers_share_one_rendering_of_the_live_board(
    as_member, dispatcher, organization, crew, django_assert_max_num_queries
):
    make_work_order(dispatcher, title="Shared")
    first = as_member(dispatcher).get("/board/", headers=LIVE)
    colleague = MembershipFactory(organization=organization, role=Role.DISPATCHER)
    colleague_client = as_member(colleague)
    # The session, the membership and four freshness checks (work orders, technicians, phones,
    # requests): no queue, lanes or map.
    with django_assert_max_num_queries(7):
        second = colleague_client.get("/board/", headers=LIVE)
    assert second.content == first.content
    assert second["X-Board-As-Of"] == first["X-Board-As-Of"]
    html = second.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert colleague.user.username not in html
    # The full page wraps the same fragment.
    assert first.content.decode() in colleague_client.get("/board/").content.decode()


class BoardClock:
    """The board cache's clock, moved by hand: a stale rendering is held for a moment."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def after_the_hold(self) -> None:
        self.now += board_cache.RERENDER_MAX_SECONDS + 1


@pytest.fixture
def board_clock(monkeypatch) -> BoardClock:
    clock = BoardClock()
    monkeypatch.setattr(board_cache.time, "time", clock.time)
    return clock


def live_queue(response) -> str:
    html = response.content.decode()
    return html[html.index('id="queue-h"') : html.index('id="lanes-h"')]


def test_the_shared_board_shows_every_change_once_its_hold_passes(
    as_member, dispatcher, crew, board_clock
):
    client = as_member(dispatcher)
    wo = make_work_order(dispatcher, title="Moves")
    client.get("/board/", headers=LIVE)

    assign(wo, crew[0], dispatcher)
    board_clock.after_the_hold()
    fresh = client.get("/board/", headers=LIVE)
    assert wo.reference not in live_queue(fresh)
    assert "X-Board-Refresh-After" not in fresh

    # A technician's phone reporting a position publishes no work-order event; the board still
    # sees it.
    assert "map-tech live" not in client.get("/board/", headers=LIVE).content.decode()
    technician_position_report(membership=crew[1], latitude=52.52, longitude=13.41, consent=True)
    board_clock.after_the_hold()
    assert "map-tech live" in client.get("/board/", headers=LIVE).content.decode()

    # A change written without any event (an ERP sync writing a row straight) still counts.
    WorkOrder.objects.filter(pk=wo.pk).update(
        title="Renamed by the ERP", updated_at=timezone.now() + timedelta(seconds=1)
    )
    board_clock.after_the_hold()
    assert "Renamed by the ERP" in client.get("/board/", headers=LIVE).content.decode()


def test_a_busy_board_serves_the_last_rendering_and_says_when_to_ask_again(
    as_member, dispatcher, crew, board_clock, django_assert_max_num_queries
):
    """Many changes a second must not mean a rendering per request: a rendering younger than a
    few times its cost is served as it is, marked, with its own (older) as-of."""
    client = as_member(dispatcher)
    wo = make_work_order(dispatcher, title="Moves")
    first = client.get("/board/", headers=LIVE)

    assign(wo, crew[0], dispatcher)
    board_clock.now += board_cache.RERENDER_MIN_SECONDS / 2
    with django_assert_max_num_queries(7):  # freshness checks only: no queue, lanes or map
        held = client.get("/board/", headers=LIVE)
    assert held.content == first.content
    assert held["X-Board-As-Of"] == first["X-Board-As-Of"]
    wait = int(held["X-Board-Refresh-After"])
    assert 0 < wait <= board_cache.RERENDER_MAX_SECONDS * 1000

    # A client already showing that rendering gets no body again, only when to ask.
    again = client.get("/board/", {"since": first["X-Board-As-Of"]}, headers=LIVE)
    assert again.status_code == 204
    assert int(again["X-Board-Refresh-After"]) > 0

    # The full page says it too, for board.js to ask again.
    page = client.get("/board/").content.decode()
    assert "data-refresh-after=" in page

    board_clock.after_the_hold()
    fresh = client.get("/board/", {"since": first["X-Board-As-Of"]}, headers=LIVE)
    assert fresh.status_code == 200
    assert wo.reference not in live_queue(fresh)
    assert fresh["X-Board-As-Of"] > first["X-Board-As-Of"]
    assert "X-Board-Refresh-After" not in fresh


def test_one_process_renders_a_view_at_a_time(as_member, dispatcher, crew, board_clock):
    client = as_member(dispatcher)
    wo = make_work_order(dispatcher, title="Moves")
    first = client.get("/board/", headers=LIVE)
    assign(wo, crew[0], dispatcher)
    board_clock.after_the_hold()
    # Another process is rendering this view right now: serve the last one meanwhile.
    from django.core.cache import cache

    meta_key = next(k for k in cache._cache if "dispatch:board-live:" in k)
    cache.add(meta_key.split(":", 2)[-1] + ":rendering", 1, 30)
    held = client.get("/board/", headers=LIVE)
    assert held.content == first.content
    assert int(held["X-Board-Refresh-After"]) > 0


def test_with_nothing_to_serve_a_request_waits_for_the_one_already_rendering(
    as_member, dispatcher, crew, monkeypatch
):
    """The first morning request of forty dispatchers: one renders, the others wait for it
    instead of rendering the same board forty times at once."""
    client = as_member(dispatcher)
    make_work_order(dispatcher, title="Waiting")
    first = client.get("/board/", headers=LIVE)  # to learn the view's key and its rendering
    from django.core.cache import cache

    meta_key = next(k for k in cache._cache if "dispatch:board-live:" in k).split(":", 2)[-1]
    stored = cache.get(meta_key)
    cache.delete(meta_key)
    cache.add(meta_key + ":rendering", 1, 30)  # another process is rendering it now
    waited = []

    def another_process_finishes(key, *, timeout, ready):
        waited.append(key)
        cache.set(key, stored, 60)
        assert ready(stored)  # a rendering whose HTML is there
        return stored

    monkeypatch.setattr(board_cache, "wait_for_cached", another_process_finishes)
    monkeypatch.setattr(board_cache, "_render", lambda *a: pytest.fail("rendered again"))
    served = client.get("/board/", headers=LIVE)
    assert waited == [meta_key]
    assert served.content == first.content


def test_job_cards_are_rendered_again_only_when_they_change(
    as_member, dispatcher, crew, board_clock
):
    from django.template import loader

    client = as_member(dispatcher)
    wo = make_work_order(dispatcher, title="Steady")
    make_work_order(dispatcher, title="Other")
    client.get("/board/", headers=LIVE)
    renders = []
    original = loader.get_template

    def counting(name, *args, **kwargs):
        if name == "dispatch/board.html#card":
            renders.append(name)
        return original(name, *args, **kwargs)

    board_cache.get_template = counting
    try:
        WorkOrder.objects.filter(pk=wo.pk).update(
            title="Retitled", updated_at=timezone.now() + timedelta(seconds=1)
        )
        board_clock.after_the_hold()
        html = client.get("/board/", headers=LIVE).content.decode()
    finally:
        board_cache.get_template = original
    assert "Retitled" in html
    assert "Other" in html
    assert len(renders) == 1  # the changed card only


def test_planners_and_watchers_get_their_own_rendering(as_member, dispatcher, supervisor, crew):
    make_work_order(dispatcher, title="Waiting")
    assert "Assign…" in as_member(dispatcher).get("/board/", headers=LIVE).content.decode()
    assert "Assign…" not in as_member(supervisor).get("/board/", headers=LIVE).content.decode()


def test_a_large_crew_is_shown_a_page_of_lanes_at_a_time(as_member, dispatcher, organization):
    people = [MembershipFactory(organization=organization, role=Role.TECHNICIAN) for _ in range(30)]
    client = as_member(dispatcher)

    first = client.get("/board/").content.decode()
    assert first.count('<article class="lane ') == 25
    assert "1\u201325 of 30" in first
    assert 'lanes=2" rel="next"' in first
    assert 'rel="prev"' not in first

    second = client.get("/board/", {"lanes": "2"}).content.decode()
    assert second.count('<article class="lane ') == 5
    assert "26\u201330 of 30" in second
    assert 'rel="next"' not in second
    shown = {p.public_id for p in people if f'data-technician="{p.public_id}"' in first + second}
    assert len(shown) == 30

    # Past the end (or nonsense) lands on a real page.
    assert client.get("/board/", {"lanes": "99"}).content.decode().count("<article class") == 5
    assert client.get("/board/", {"lanes": "x"}).content.decode().count("<article class") == 25


# --- refusals in the plan panel -----------------------------------------------------------------


def _plan(client, wo, technician, **extra):
    values = {"wo": wo.reference, "version": wo.version, "technician": str(technician.public_id)}
    return client.post("/board/plan/", {**values, **extra}, headers={"HX-Request": "true"})


def test_a_refusal_with_no_field_of_its_own_still_says_why(as_member, dispatcher, crew):
    wo = make_work_order(dispatcher, title="Under way")
    assign(wo, crew[0], dispatcher)
    WorkOrder.objects.filter(pk=wo.pk).update(status=Status.IN_PROGRESS)
    wo.refresh_from_db()

    refused = _plan(as_member(dispatcher), wo, crew[1])

    # Reassigning is a move of the lifecycle table; there is none from "in progress".
    assert refused.status_code == 409
    assert '<p class="error" role="alert">In progress work cannot be reassigned.</p>' in (
        refused.content.decode()
    )


def test_an_override_without_a_reason_keeps_everything_typed(
    as_member, dispatcher, organization, frozen
):
    novice = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    wo = make_work_order(dispatcher, title="Chiller", required_skill="hvac")

    refused = _plan(
        as_member(dispatcher),
        wo,
        novice,
        override="1",
        override_reason="   ",
        start="2026-05-06T18:00:00+00:00",
    )

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Say why the rule is overridden." in html
    assert "Lacks skill" in html  # the rule it breaks, in the override box
    assert 'value="   "' in html
    # The drop's time (sent with an offset) comes back as the organisation's local time.
    assert 'name="start" value="2026-05-06T20:00"' in html
    assert f'value="{novice.public_id}" checked' in html
    assert "Override and assign" in html
    assert WorkOrder.objects.get(pk=wo.pk).status == Status.NEW


def test_a_stale_version_is_refused_with_the_latest_version_in_the_form(
    as_member, dispatcher, crew
):
    wo = make_work_order(dispatcher, title="Changed meanwhile")
    stale = wo.version
    assign(wo, crew[0], dispatcher)
    wo.version = stale

    refused = _plan(as_member(dispatcher), wo, crew[1], override_reason="kept")

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Someone changed this job meanwhile" in html
    assert f'name="version" value="{stale + 1}"' in html
    assert 'value="kept"' in html
    assert "board:refresh" in refused["HX-Trigger"]


# --- lanes as timelines -------------------------------------------------------------------------


def _lane_html(html: str, name: str) -> str:
    start = html.index(f'data-name="{name}"')
    end = html.find("<article", start)
    return html[start : end if end != -1 else html.index('id="map-h"')]


def test_lanes_place_jobs_at_their_hours_and_say_what_the_technician_is_doing(
    as_member, dispatcher, crew, frozen
):
    midday = make_work_order(
        dispatcher,
        title="Midday",
        scheduled_start=datetime(2026, 5, 6, 12, 0, tzinfo=BERLIN),
        scheduled_end=datetime(2026, 5, 6, 14, 0, tzinfo=BERLIN),
    )
    morning = make_work_order(
        dispatcher, title="Morning", scheduled_start=datetime(2026, 5, 6, 8, 0, tzinfo=BERLIN)
    )
    unplanned = make_work_order(dispatcher, title="Whenever")
    for wo in (midday, morning, unplanned):
        assign(wo, crew[0], dispatcher)

    html = as_member(dispatcher).get("/board/").content.decode()

    ann = _lane_html(html, "Ann Tech")
    card = ann[ann.index(f'id="card-{midday.reference}"') :]
    assert 'style="grid-column: 25 / 33; grid-row: 2"' in card[: card.index(">")]
    assert "12:00\u201314:00" in card  # the organisation's hours, not the server's
    card = ann[ann.index(f'id="card-{morning.reference}"') :]
    assert 'style="grid-column: 9 / 13; grid-row: 2"' in card[: card.index(">")]
    others = ann[ann.index('class="lane-others"') :]
    assert unplanned.reference in others
    assert 'data-hour="12" style="grid-column: 25 / span 4"' in ann
    assert "Busy · 3 jobs" in ann
    assert "Available" in _lane_html(html, "Bob Tech")
