"""Ranking technicians for a job, and the skill/shift rules an assignment must pass or override."""

from datetime import date, datetime, time, timedelta

import pytest

from fieldops.accounts.models import Role
from fieldops.errors import ValidationFailed
from tests.dispatch.conftest import BERLIN, DAY_SHIFT, FAR, NEAR, PLANT
from tests.dispatch.factories import certify, make_profile
from tests.factories import MembershipFactory
from tests.workorders.factories import assign, make_work_order
from workorders.dispatch.models import AssignmentOverride, TimeOff
from workorders.dispatch.suggestions import suggestions_for
from workorders.models import Status
from workorders.services import OverrideRequired, work_order_assign

pytestmark = pytest.mark.django_db

ELEVEN = datetime(2026, 5, 6, 11, 0, tzinfo=BERLIN)


def tech(organization, first_name):
    member = MembershipFactory(organization=organization, role=Role.TECHNICIAN)
    member.user.first_name = first_name
    member.user.last_name = ""
    member.user.save()
    return member


@pytest.fixture
def job(dispatcher, chiller, frozen):
    return make_work_order(
        dispatcher,
        title="Chiller alarm",
        asset_id=chiller.public_id,
        required_skill="hvac",
        scheduled_start=ELEVEN,
        scheduled_end=ELEVEN + timedelta(hours=1),
    )


def ranked(dispatcher, job, **kwargs):
    return suggestions_for(membership=dispatcher, work_order=job, **kwargs)


def test_skilled_near_on_shift_technician_ranks_first_and_says_why(
    organization, dispatcher, job, hvac
):
    near = tech(organization, "Near")
    far = tech(organization, "Far")
    unskilled = tech(organization, "Unskilled")
    make_profile(near, skills={hvac: 3}, home=NEAR, all_week=DAY_SHIFT)
    make_profile(far, skills={hvac: 3}, home=FAR, all_week=DAY_SHIFT)
    make_profile(unskilled, home=PLANT, all_week=DAY_SHIFT)

    result = ranked(dispatcher, job)

    assert [s.name for s in result] == ["Near", "Far", "Unskilled"]
    best = result[0]
    texts = [r.text for r in best.reasons]
    assert "Has HVAC level 3/5" in texts
    assert "On shift 07:00-16:00 Wed" in texts
    assert any(t.endswith("km away (home base)") for t in texts)
    assert 2 < best.distance_km < 5
    assert result[1].distance_km > 200
    assert result[2].needs_override == ["missing_skill"]
    assert "Lacks skill “hvac”" in [r.text for r in result[2].reasons]


def test_expired_certification_does_not_count_as_the_skill(organization, dispatcher, job, fgas):
    job.required_skill = "f-gas"
    expired, valid, uncertified = (tech(organization, n) for n in ("Expired", "Valid", "None"))
    for member in (expired, valid, uncertified):
        make_profile(member, skills={fgas: 4}, home=NEAR, all_week=DAY_SHIFT)
    certify(expired.technician_profile, fgas, expires_on=date(2026, 5, 5))
    certify(valid.technician_profile, fgas, expires_on=date(2026, 5, 6))

    result = {s.name: s for s in ranked(dispatcher, job)}

    assert result["Valid"].needs_override == []
    assert result["Expired"].needs_override == ["expired_certification"]
    assert "F-gas handling certification expired 05 May 2026" in [
        r.text for r in result["Expired"].reasons
    ]
    assert result["None"].needs_override == ["missing_skill"]


def test_off_shift_and_time_off_need_an_override_for_planned_work(
    organization, dispatcher, job, hvac
):
    late = tech(organization, "Late")
    away = tech(organization, "Away")
    make_profile(late, skills={hvac: 5}, home=NEAR, all_week=(time(14, 0), time(22, 0)))
    profile = make_profile(away, skills={hvac: 5}, home=NEAR, all_week=DAY_SHIFT)
    TimeOff.objects.create(
        profile=profile, starts_at=ELEVEN - timedelta(days=1), ends_at=ELEVEN + timedelta(days=2)
    )

    result = {s.name: s for s in ranked(dispatcher, job)}

    assert result["Late"].needs_override == ["off_shift"]
    assert "Off shift at Wed 11:00 (works 14:00-22:00)" in [r.text for r in result["Late"].reasons]
    assert result["Away"].needs_override == ["time_off"]


def test_load_and_clashing_bookings_lower_the_rank(organization, dispatcher, job, hvac, chiller):
    free = tech(organization, "Free")
    booked = tech(organization, "Booked")
    for member in (free, booked):
        make_profile(member, skills={hvac: 3}, home=NEAR, all_week=DAY_SHIFT)
    clash = make_work_order(
        dispatcher,
        title="Other job",
        scheduled_start=ELEVEN + timedelta(minutes=30),
        scheduled_end=ELEVEN + timedelta(hours=2),
    )
    assign(clash, booked, dispatcher)

    result = ranked(dispatcher, job)

    assert [s.name for s in result] == ["Free", "Booked"]
    reasons = [r.text for r in result[1].reasons]
    assert f"Booked then: {clash.reference}" in reasons
    assert "1 open job" in reasons


def test_live_position_with_consent_beats_the_home_base(organization, dispatcher, job, hvac):
    from django.utils import timezone

    roaming = tech(organization, "Roaming")
    make_profile(
        roaming,
        skills={hvac: 3},
        home=FAR,
        all_week=DAY_SHIFT,
        location_consent=True,
        last_latitude=NEAR[0],
        last_longitude=NEAR[1],
        last_position_at=timezone.now() - timedelta(minutes=10),
    )
    [suggestion] = ranked(dispatcher, job)
    assert suggestion.distance_km < 5
    assert any("last position 10 min ago" in r.text for r in suggestion.reasons)


def test_suggestion_queries_do_not_grow_with_the_workforce(
    organization, dispatcher, job, hvac, django_assert_max_num_queries
):
    for name in ("A", "B"):
        make_profile(tech(organization, name), skills={hvac: 2}, home=NEAR, all_week=DAY_SHIFT)
    with django_assert_max_num_queries(12) as few:
        ranked(dispatcher, job)
    for name in ("C", "D", "E", "F"):
        make_profile(tech(organization, name), skills={hvac: 2}, home=NEAR, all_week=DAY_SHIFT)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ranked(dispatcher, job)) == 6


# --- assignment with the rules ------------------------------------------------------------------


def test_assigning_without_the_skill_is_refused_without_an_override(organization, dispatcher, job):
    novice = tech(organization, "Novice")
    make_profile(novice, home=NEAR, all_week=DAY_SHIFT)
    with pytest.raises(OverrideRequired) as refused:
        work_order_assign(
            membership=dispatcher,
            work_order=job,
            technician_ids=[novice.public_id],
            expected_version=job.version,
        )
    assert refused.value.details == {str(novice.public_id): ["Lacks skill “hvac”"]}
    job.refresh_from_db()
    assert job.status == Status.NEW
    assert not AssignmentOverride.objects.exists()


def test_an_override_needs_a_reason_and_is_recorded(organization, dispatcher, job):
    novice = tech(organization, "Novice")
    make_profile(novice, home=NEAR, all_week=(time(13, 0), time(20, 0)))
    with pytest.raises(ValidationFailed) as no_reason:
        work_order_assign(
            membership=dispatcher,
            work_order=job,
            technician_ids=[novice.public_id],
            expected_version=job.version,
            override=True,
        )
    assert "override_reason" in no_reason.value.details

    done = work_order_assign(
        membership=dispatcher,
        work_order=job,
        technician_ids=[novice.public_id],
        expected_version=job.version,
        override=True,
        override_reason="Only one on site; senior on the phone",
    )

    assert done.status == Status.ASSIGNED
    record = AssignmentOverride.objects.get()
    assert record.technician == novice
    assert record.overridden_by == dispatcher
    assert record.problems == ["missing_skill", "off_shift"]
    assert record.reason == "Only one on site; senior on the phone"


def test_a_qualified_assignment_needs_no_override_and_records_none(
    organization, dispatcher, job, hvac
):
    expert = tech(organization, "Expert")
    make_profile(expert, skills={hvac: 4}, home=NEAR, all_week=DAY_SHIFT)
    done = work_order_assign(
        membership=dispatcher,
        work_order=job,
        technician_ids=[expert.public_id],
        expected_version=job.version,
    )
    assert done.status == Status.ASSIGNED
    assert not AssignmentOverride.objects.exists()


def test_planning_into_a_lane_moves_the_window_and_checks_the_new_shift(
    organization, dispatcher, job, hvac
):
    expert = tech(organization, "Expert")
    make_profile(expert, skills={hvac: 4}, home=NEAR, all_week=DAY_SHIFT)
    evening = datetime(2026, 5, 6, 18, 0, tzinfo=BERLIN)
    with pytest.raises(OverrideRequired):
        work_order_assign(
            membership=dispatcher,
            work_order=job,
            technician_ids=[expert.public_id],
            expected_version=job.version,
            start=evening,
        )
    afternoon = datetime(2026, 5, 6, 14, 0, tzinfo=BERLIN)
    done = work_order_assign(
        membership=dispatcher,
        work_order=job,
        technician_ids=[expert.public_id],
        expected_version=job.version,
        start=afternoon,
    )
    assert done.scheduled_start == afternoon
    assert done.scheduled_end == afternoon + timedelta(hours=1)
    assert done.status == Status.ASSIGNED


def test_unscheduled_work_can_go_to_someone_off_shift_now(organization, dispatcher, chiller):
    from tests.dispatch.conftest import NOW

    night = tech(organization, "Night")
    make_profile(night, home=NEAR, all_week=(time(22, 0), time(23, 59)))
    job = make_work_order(dispatcher, title="Unplanned", asset_id=chiller.public_id)
    done = work_order_assign(
        membership=dispatcher,
        work_order=job,
        technician_ids=[night.public_id],
        expected_version=None,
    )
    assert done.status == Status.ASSIGNED
    assert NOW  # the clock is not frozen here: the rule must not depend on it


def test_technicians_cannot_dispatch(organization, technician, job):
    from fieldops.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        work_order_assign(
            membership=technician,
            work_order=job,
            technician_ids=[technician.public_id],
            expected_version=None,
        )
