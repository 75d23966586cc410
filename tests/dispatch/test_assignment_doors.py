"""One assignment rule, every door: the API's assign, the work-order page's assign form, the
board's plan form and the dispatch API all refuse a technician who breaks a skill or shift rule
with OVERRIDE_REQUIRED (409) unless overridden with a reason, and each reads the work order back.

Offline sync cannot assign (no mutation kind does), nor can the ERP projection or flows: they
only create, update or cancel work orders (see test_no_other_door_assigns)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from fieldops.accounts.models import Role
from fieldops.inputs import field_problems
from tests.conftest import client_for, token_client_for
from tests.dispatch.conftest import BERLIN, DAY_SHIFT, NEAR
from tests.dispatch.factories import certify, make_profile
from tests.factories import MembershipFactory
from tests.workorders.factories import make_work_order
from workorders.dispatch.models import AssignmentOverride, TimeOff
from workorders.models import Status, WorkOrder

pytestmark = pytest.mark.django_db

ELEVEN = datetime(2026, 5, 6, 11, 0, tzinfo=BERLIN)
EVENING = datetime(2026, 5, 6, 20, 0, tzinfo=BERLIN)

DOORS = ("api_assign", "page_assign", "board_plan", "dispatch_api")
CASES = ("no_skill", "expired_cert", "off_shift", "on_leave", "ok")

# (case, door) -> the answer, without an override. Written out: no rule is derived here.
EXPECTED = {
    ("no_skill", "api_assign"): 409,
    ("no_skill", "page_assign"): 409,
    ("no_skill", "board_plan"): 409,
    ("no_skill", "dispatch_api"): 409,
    ("expired_cert", "api_assign"): 409,
    ("expired_cert", "page_assign"): 409,
    ("expired_cert", "board_plan"): 409,
    ("expired_cert", "dispatch_api"): 409,
    ("off_shift", "api_assign"): 409,
    ("off_shift", "page_assign"): 409,
    ("off_shift", "board_plan"): 409,
    ("off_shift", "dispatch_api"): 409,
    ("on_leave", "api_assign"): 409,
    ("on_leave", "page_assign"): 409,
    ("on_leave", "board_plan"): 409,
    ("on_leave", "dispatch_api"): 409,
    ("ok", "api_assign"): 200,
    ("ok", "page_assign"): 302,
    ("ok", "board_plan"): 302,
    ("ok", "dispatch_api"): 200,
}
# The same with override and a reason: every door lets it through and records the override.
EXPECTED_OVERRIDDEN = {
    "api_assign": 200,
    "page_assign": 302,
    "board_plan": 302,
    "dispatch_api": 200,
}
# Override ticked, reason left empty: refused as a validation error, the reason asked for.
EXPECTED_NO_REASON = {
    "api_assign": 422,
    "page_assign": 422,
    "board_plan": 422,
    "dispatch_api": 422,
}
PROBLEM = {
    "no_skill": "missing_skill",
    "expired_cert": "expired_certification",
    "off_shift": "off_shift",
    "on_leave": "time_off",
    "ok": None,
}


@pytest.fixture
def world(organization, dispatcher, hvac, fgas, frozen):
    def technician_for(case: str):
        member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
        skills = {} if case == "no_skill" else {hvac: 3, fgas: 3}
        profile = make_profile(member, skills=skills, home=NEAR, all_week=DAY_SHIFT)
        certify(profile, fgas, expires_on=date(2026, 5, 1) if case == "expired_cert" else None)
        if case == "on_leave":
            TimeOff.objects.create(
                profile=profile,
                starts_at=ELEVEN - timedelta(hours=3),
                ends_at=ELEVEN + timedelta(hours=8),
                reason="Doctor",
            )
        return member

    def job_for(case: str) -> WorkOrder:
        start = EVENING if case == "off_shift" else ELEVEN
        return make_work_order(
            dispatcher,
            title="Chiller alarm",
            required_skill="f-gas",
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=1),
        )

    return technician_for, job_for


def knock(door: str, dispatcher, work_order: WorkOrder, technician, **override):
    """One attempt through ``door``; the HTTP status it answered and its body."""
    tid = str(technician.public_id)
    start = work_order.scheduled_start
    if door == "api_assign":
        response = token_client_for(dispatcher).post(
            f"/api/v1/work-orders/{work_order.reference}/assign",
            {"technician_ids": [tid], "version": work_order.version, **override},
            content_type="application/json",
        )
    elif door == "dispatch_api":
        response = token_client_for(dispatcher).post(
            f"/api/v1/work-orders/{work_order.reference}/dispatch",
            {
                "technician_ids": [tid],
                "version": work_order.version,
                "start": start.isoformat(),
                **override,
            },
            content_type="application/json",
        )
    elif door == "page_assign":
        form = {"technician": tid, "version": work_order.version}
        if override.get("override"):
            form["override"] = "1"
        form["override_reason"] = override.get("override_reason", "")
        response = client_for(dispatcher).post(f"/work-orders/{work_order.reference}/assign/", form)
    else:
        form = {
            "wo": work_order.reference,
            "technician": tid,
            "version": work_order.version,
            "start": start.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"),
            "override_reason": override.get("override_reason", ""),
        }
        if override.get("override"):
            form["override"] = "1"
        response = client_for(dispatcher).post("/board/plan/", form)
    return response.status_code, response


def assignees(work_order: WorkOrder) -> list:
    return [a.membership_id for a in WorkOrder.objects.get(pk=work_order.pk).assignments.all()]


@pytest.mark.parametrize(("case", "door"), list(EXPECTED))
def test_every_door_applies_the_skill_and_shift_rules(world, dispatcher, case, door):
    technician_for, job_for = world
    technician, work_order = technician_for(case), job_for(case)

    code, response = knock(door, dispatcher, work_order, technician)

    assert code == EXPECTED[(case, door)], response.content[:400]
    after = WorkOrder.objects.get(pk=work_order.pk)
    if code == 409:
        assert after.status == Status.NEW
        assert after.version == work_order.version
        assert assignees(work_order) == []
        if door.endswith("api") or door == "api_assign":
            assert response.json()["error"]["code"] == "OVERRIDE_REQUIRED"
            assert str(technician.public_id) in response.json()["error"]["details"]
        else:
            # The page shows why, and offers the override where the dispatcher acted.
            page = response.content.decode()
            assert 'name="override"' in page
            assert 'name="override_reason"' in page
    else:
        assert after.status == Status.ASSIGNED
        assert assignees(work_order) == [technician.pk]
    assert AssignmentOverride.objects.count() == 0


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("case", [c for c in CASES if c != "ok"])
def test_every_door_takes_an_override_with_a_reason_and_records_it(world, dispatcher, case, door):
    technician_for, job_for = world
    technician, work_order = technician_for(case), job_for(case)

    code, _ = knock(
        door,
        dispatcher,
        work_order,
        technician,
        override=True,
        override_reason="Only one on site",
    )

    assert code == EXPECTED_OVERRIDDEN[door]
    assert WorkOrder.objects.get(pk=work_order.pk).status == Status.ASSIGNED
    assert assignees(work_order) == [technician.pk]
    recorded = AssignmentOverride.objects.get(work_order=work_order)
    assert recorded.technician == technician
    assert recorded.reason == "Only one on site"
    assert PROBLEM[case] in recorded.problems


@pytest.mark.parametrize("door", DOORS)
def test_an_override_without_a_reason_is_refused_at_every_door(world, dispatcher, door):
    technician_for, job_for = world
    technician, work_order = technician_for("no_skill"), job_for("no_skill")

    code, response = knock(door, dispatcher, work_order, technician, override=True)

    assert code == EXPECTED_NO_REASON[door]
    assert assignees(work_order) == []
    assert AssignmentOverride.objects.count() == 0
    if door in ("api_assign", "dispatch_api"):
        assert "override_reason" in response.json()["error"]["details"]
    else:
        assert "Say why the rule is overridden." in response.content.decode()


def test_the_page_keeps_the_typed_reason_and_shows_the_rule_broken(world, dispatcher):
    technician_for, job_for = world
    technician, work_order = technician_for("expired_cert"), job_for("expired_cert")

    _, response = knock(
        "page_assign", dispatcher, work_order, technician, override_reason="Typed before ticking"
    )

    page = response.content.decode()
    assert "certification expired 01 May 2026" in page
    assert "Typed before ticking" in page


def test_no_other_door_assigns():
    """Offline sync, the ERP projection and flows reach work orders only through these services
    (none of them is the assignment service), so they cannot bypass the rule."""
    import inspect

    from integrations.services.local import work_orders as erp
    from integrations.webhooks.services import flows
    from workorders.offline import appliers

    for module in (erp, flows, appliers):
        assert "work_order_assign" not in inspect.getsource(module), module.__name__


# A start typed without an offset ("11:00" on a Berlin organisation's board), through each door
# that takes a start -> the instant planned. Before, the dispatch API read it as UTC (13:00 Berlin).
TYPED_STARTS = [
    ("2026-05-06T11:00", datetime(2026, 5, 6, 9, 0, tzinfo=UTC)),
    ("2026-05-06T11:00:00+02:00", datetime(2026, 5, 6, 9, 0, tzinfo=UTC)),
    ("2026-05-06T11:00:00Z", datetime(2026, 5, 6, 11, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("typed", "planned"), TYPED_STARTS)
def test_a_typed_start_means_the_same_instant_through_the_api_and_the_board(
    world, dispatcher, typed, planned
):
    technician_for, job_for = world
    technician = technician_for("ok")
    by_api, by_board = job_for("ok"), job_for("ok")
    tid = str(technician.public_id)
    api = token_client_for(dispatcher).post(
        f"/api/v1/work-orders/{by_api.reference}/dispatch",
        {"technician_ids": [tid], "version": by_api.version, "start": typed},
        content_type="application/json",
    )
    board = client_for(dispatcher).post(
        "/board/plan/",
        {"wo": by_board.reference, "technician": tid, "version": by_board.version, "start": typed},
    )
    assert api.status_code == 200, api.content
    assert board.status_code in (200, 302), board.content[:500]
    starts = [WorkOrder.objects.get(pk=w.pk).scheduled_start for w in (by_api, by_board)]
    assert starts == [planned, planned]


def test_the_board_and_the_api_refuse_a_missing_technician_in_the_same_words(world, dispatcher):
    _, job_for = world
    job = job_for("ok")
    api = token_client_for(dispatcher).post(
        f"/api/v1/work-orders/{job.reference}/dispatch",
        {"version": job.version, "technician_ids": []},
        content_type="application/json",
    )
    board = client_for(dispatcher).post("/board/plan/", {"wo": job.reference, "technician": ""})
    assert (api.status_code, board.status_code) == (422, 422)
    words = "Choose at least one technician."
    assert field_problems(api.json()["error"]["details"]) == {"technician_ids": words}
    assert words in board.content.decode()
    assert WorkOrder.objects.get(pk=job.pk).assignments.count() == 0
