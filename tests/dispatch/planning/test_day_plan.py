"""Plan the day through the database: the problem built from the workforce and the open work,
the proposal as a diff against today's plan, and accepting through the one assignment service
exactly once (refusals reported, nothing half-written)."""

from datetime import date, datetime, time, timedelta

import pytest

from fieldops.accounts.models import Role
from fieldops.errors import PermissionDenied
from tests.conftest import token_client_for
from tests.dispatch.conftest import BERLIN, NEAR
from tests.dispatch.factories import make_profile, make_skill
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order
from workorders.dispatch.models import DayPlan, DayPlanAcceptance, TimeOff
from workorders.dispatch.planning.services import (
    day_plan_accept,
    day_plan_progress,
    day_plan_request,
)
from workorders.models import WorkOrder, WorkOrderAssignment, WorkOrderHistory
from workorders.services import work_order_update

pytestmark = pytest.mark.django_db
THURSDAY = date(2026, 5, 7)  # the day after NOW (Wednesday 09:00 in Berlin)
SHIFT = (time(7, 0), time(16, 0))


def person(organization, first_name: str):
    member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    member.user.first_name, member.user.last_name = first_name, "Tech"
    member.user.save()
    return member


@pytest.fixture
def day(frozen, organization, dispatcher, boiler_room, hvac):
    make_skill(organization.pk, "gas", "Gas", requires_certification=True)
    ana, ben = person(organization, "Ana"), person(organization, "Ben")
    make_profile(ana, skills={hvac: 3}, home=NEAR, all_week=SHIFT)
    make_profile(ben, home=(52.50, 13.35), all_week=SHIFT)
    where = {"location_id": boiler_room.public_id}
    jobs = {
        "chiller": make_work_order(
            dispatcher,
            title="Chiller service",
            required_skill="hvac",
            priority="p2",
            estimated_minutes=60,
            **where,
        ),
        "door": make_work_order(dispatcher, title="Door check", estimated_minutes=30, **where),
        "boiler": make_work_order(
            dispatcher, title="Gas boiler", required_skill="gas", estimated_minutes=30, **where
        ),
        "filter": make_work_order(
            dispatcher, title="Filter swap", priority="p4", estimated_minutes=30, **where
        ),
    }
    door = assign(jobs["door"], ana, dispatcher)
    start = datetime.combine(THURSDAY, time(9, 0), tzinfo=BERLIN)
    jobs["door"] = work_order_update(
        membership=dispatcher,
        work_order=door,
        expected_version=door.version,
        changes={"scheduled_start": start, "scheduled_end": start + timedelta(minutes=30)},
    )
    return {"ana": ana, "ben": ben, **jobs}


def planned(dispatcher, capture) -> DayPlan:
    with capture(execute=True):
        plan = day_plan_request(membership=dispatcher, day=THURSDAY)
    plan.refresh_from_db()
    return plan


def lanes(plan: DayPlan) -> dict[str, tuple[str, str]]:
    return {
        stop["title"]: (lane["name"], stop["change"])
        for lane in plan.proposal["lanes"]
        for stop in lane["stops"]
    }


def test_the_proposal_is_a_diff_against_todays_plan(
    day, dispatcher, django_capture_on_commit_callbacks
):
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    assert plan.status == "ready"
    # One site, so one lane drives there once; only Ana holds HVAC.
    assert lanes(plan) == {
        "Chiller service": ("Ana Tech", "new"),
        "Door check": ("Ana Tech", "retimed"),
        "Filter swap": ("Ana Tech", "new"),
    }
    assert [(u["title"], u["constraint"]) for u in plan.proposal["unplaced"]] == [
        ("Gas boiler", "skill"),
    ]
    assert (
        plan.proposal["unplaced"][0]["text"] == "Ana Tech lacks skill gas; Ben Tech lacks skill gas"
    )
    door = next(
        s for lane in plan.proposal["lanes"] for s in lane["stops"] if s["title"] == "Door check"
    )
    assert door["was"] == "09:00"
    chiller = next(
        s
        for lane in plan.proposal["lanes"]
        for s in lane["stops"]
        if s["title"] == "Chiller service"
    )
    assert chiller["why"] == "was unassigned, skill hvac"


def test_accepting_writes_each_assignment_exactly_once(
    day, dispatcher, django_capture_on_commit_callbacks
):
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    ana_lane = next(lane for lane in plan.proposal["lanes"] if lane["name"] == "Ana Tech")
    first = day_plan_accept(membership=dispatcher, plan=plan, technician=ana_lane["technician"])
    refs = sorted(day[k].reference for k in ("chiller", "door", "filter"))
    assert sorted(first.accepted) == refs
    again = day_plan_accept(membership=dispatcher, plan=plan)  # "accept all" after the lane
    assert (again.accepted, sorted(again.already), again.refused) == ([], refs, [])

    chiller = WorkOrder.objects.get(pk=day["chiller"].pk)
    stop = next(s for s in ana_lane["stops"] if s["number"] == chiller.reference)
    assert chiller.status == "assigned"
    assert chiller.scheduled_start == datetime.fromisoformat(stop["start"])
    assert list(chiller.assignments.values_list("membership_id", flat=True)) == [day["ana"].pk]
    counts = {
        wo.reference: (
            WorkOrderAssignment.objects.filter(work_order=wo).count(),
            WorkOrderHistory.objects.filter(work_order=wo, kind="assigned").count(),
        )
        for wo in (day["chiller"], day["filter"], day["door"])
    }
    # (assignments, "assigned" history rows): the door was Ana's already, so only retimed.
    assert counts == {
        day["chiller"].reference: (1, 1),
        day["filter"].reference: (1, 1),
        day["door"].reference: (1, 1),
    }
    assert DayPlanAcceptance.objects.filter(plan=plan).count() == 3


def test_a_rule_that_says_no_since_planning_is_reported_and_nothing_is_kept(
    day, dispatcher, django_capture_on_commit_callbacks
):
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    off = TimeOff.objects.create(
        profile=day["ana"].technician_profile,
        starts_at=datetime.combine(THURSDAY, time(0), tzinfo=BERLIN),
        ends_at=datetime.combine(THURSDAY, time(23, 59), tzinfo=BERLIN),
        reason="sick",
    )
    chiller = day["chiller"]
    result = day_plan_accept(membership=dispatcher, plan=plan, work_order=chiller.public_id.hex)
    assert [(r["number"], r["code"]) for r in result.refused] == [
        (chiller.reference, "OVERRIDE_REQUIRED")
    ]
    assert "Time off until Thu 07 May 23:59 (sick)" in result.refused[0]["message"]
    assert WorkOrder.objects.get(pk=chiller.pk).status == "new"
    assert not DayPlanAcceptance.objects.filter(plan=plan).exists()
    off.delete()  # the refusal did not use the acceptance up
    retry = day_plan_accept(membership=dispatcher, plan=plan, work_order=chiller.public_id.hex)
    assert retry.accepted == [chiller.reference]


def test_a_job_changed_since_planning_is_not_overwritten(
    day, dispatcher, django_capture_on_commit_callbacks
):
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    filter_job = day["filter"]
    work_order_update(
        membership=dispatcher,
        work_order=filter_job,
        expected_version=filter_job.version,
        changes={"title": "Filter swap, both units"},
    )
    result = day_plan_accept(membership=dispatcher, plan=plan, work_order=filter_job.public_id.hex)
    assert [(r["number"], r["code"]) for r in result.refused] == [
        (filter_job.reference, "VERSION_CONFLICT")
    ]


def test_only_dispatchers_plan_and_accept(
    day, dispatcher, supervisor, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        day_plan_request(membership=supervisor, day=THURSDAY)
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        day_plan_accept(membership=supervisor, plan=plan)


def test_the_api_plans_reads_and_accepts(day, dispatcher, django_capture_on_commit_callbacks):
    client = token_client_for(dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/day-plans", {"day": THURSDAY.isoformat()}, content_type="application/json"
        )
    assert created.status_code == 202
    plan_id = created.json()["id"]
    read = client.get(f"/api/v1/day-plans/{plan_id}").json()
    assert (read["status"], read["progress"]) == ("ready", 100)
    accepted = client.post(
        f"/api/v1/day-plans/{plan_id}/accept",
        {"work_order": str(day["filter"].public_id)},
        content_type="application/json",
    ).json()
    assert accepted == {
        "accepted": [day["filter"].reference],
        "already": [],
        "unchanged": [],
        "refused": [],
    }
    past = client.post("/api/v1/day-plans", {"day": "2026-05-05"}, content_type="application/json")
    assert (past.status_code, past.json()["error"]["details"]) == (
        422,
        {"day": "Plan today or a later day."},
    )
    technician = token_client_for(day["ana"])
    assert technician.get(f"/api/v1/day-plans/{plan_id}").status_code == 403


def test_an_emergency_is_inserted_with_least_disruption_and_accepted_like_the_rest(
    day, dispatcher, boiler_room, django_capture_on_commit_callbacks
):
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    burst = make_work_order(
        dispatcher,
        title="Burst pipe",
        priority="p1",
        estimated_minutes=20,
        location_id=boiler_room.public_id,
    )
    client = token_client_for(dispatcher)
    url = f"/api/v1/day-plans/{plan.public_id}/insert"
    placed = client.post(url, {"work_order": str(burst.public_id)}, content_type="application/json")
    # Ana is at the site all morning: last in her lane, no driving added, nobody waits.
    assert placed.json() == {
        "technician": "Ana Tech",
        "position": 4,
        "added_travel": 0,
        "delays": {},
    }
    plan.refresh_from_db()
    assert lanes(plan)["Burst pipe"] == ("Ana Tech", "new")
    again = client.post(url, {"work_order": str(burst.public_id)}, content_type="application/json")
    assert (again.status_code, again.json()["error"]["details"]) == (
        422,
        {"work_order": "Already in the plan."},
    )
    result = day_plan_accept(membership=dispatcher, plan=plan, work_order=burst.public_id.hex)
    assert result.accepted == [burst.reference]


def test_progress_while_solving_is_the_share_of_the_time_limit_spent(organization):
    started = datetime(2026, 5, 6, 9, 0, tzinfo=BERLIN)
    plan = DayPlan(organization=organization, day=THURSDAY, time_limit=10)
    # (status, seconds since the search began) -> per cent shown
    table = [
        (("queued", None), 0),
        (("solving", 0), 1),  # started: never shown as nothing
        (("solving", 4), 40),
        (("solving", 30), 95),  # past its limit, still writing the proposal
        (("ready", 12), 100),
        (("failed", 1), 100),
    ]
    got = []
    for (status, seconds), _ in table:
        plan.status = status
        plan.solving_since = started if seconds is not None else None
        now = started + timedelta(seconds=seconds or 0)
        got.append(((status, seconds), day_plan_progress(plan, now=now)))
    assert got == table


def test_a_technician_running_late_shifts_their_later_stops(
    day, dispatcher, django_capture_on_commit_callbacks
):
    plan = planned(dispatcher, django_capture_on_commit_callbacks)
    lane = next(lane for lane in plan.proposal["lanes"] if lane["name"] == "Ana Tech")
    first, *later = [s["number"] for s in lane["stops"]]
    client = token_client_for(dispatcher)
    url = f"/api/v1/day-plans/{plan.public_id}/late"
    body = {"technician": lane["technician_uuid"], "minutes": 30}
    answer = client.post(url, body, content_type="application/json").json()
    # The three jobs run back to back at one site: each later one starts half an hour later.
    assert answer == {"shifted": dict.fromkeys(later, 30), "broken": []}
    plan.refresh_from_db()
    moved = next(lane for lane in plan.proposal["lanes"] if lane["name"] == "Ana Tech")
    before = {s["number"]: s["start_label"] for s in lane["stops"]}
    after = {s["number"]: s["start_label"] for s in moved["stops"]}
    assert after[first] == before[first]
    refused = client.post(url, {**body, "minutes": 0}, content_type="application/json").json()[
        "error"
    ]["details"]
    assert refused == {"minutes": "Between 1 and 480."}
