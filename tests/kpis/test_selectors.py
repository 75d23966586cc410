"""Each KPI on a small hand-built data set; the expected answer is worked out beside it."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from assets.models import AssetStatusChange
from tests.assets.factories import make_asset, make_location
from tests.dispatch.factories import make_profile
from tests.workorders.factories import make_work_order
from workorders.dispatch.models import Crew
from workorders.kpis.selectors import Scope, dashboard
from workorders.models import TimeEntry, WorkOrder

pytestmark = pytest.mark.django_db


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def wo(creator, **fields) -> WorkOrder:
    """A work order through the service, then its timestamps set by hand."""
    work_order = make_work_order(creator, priority=fields.pop("priority", "p3"))
    fields.setdefault("due_at", None)
    fields.setdefault("response_due_at", None)
    fields.setdefault("onsite_due_at", None)
    WorkOrder.objects.filter(pk=work_order.pk).update(**fields)
    work_order.refresh_from_db()
    return work_order


def scope_for(org, start, end, tz="UTC", **kw) -> Scope:
    return Scope(organization_id=org.id, time_zone=tz, start=start, end=end, **kw)


def figures(board) -> dict:
    return {key: f.value for key, f in board.figures.items()}


def test_empty_period_gives_no_figure_and_no_division_by_zero(organization):
    board = dashboard(scope_for(organization, date(2026, 3, 1), date(2026, 3, 7)))
    values = figures(board)
    # Counts are 0; every ratio and mean over nothing is None (shown as "—").
    assert [values["backlog"], values["overdue"], values["at_risk"]] == [0, 0, 0]
    for key in (
        "sla_compliance",
        "response_time",
        "onsite_time",
        "resolution_time",
        "pm_compliance",
        "planned_reactive",
        "mttr_labour",
        "mttr_downtime",
        "mtbf",
        "first_time_fix",
        "utilisation",
        "wrench_time",
        "pmp",
        "schedule_compliance",
        "crew_weeks",
    ):
        assert values[key] is None, key
    assert [row[1:] for row in board.tables["per_day"].rows] == [[0, 0]] * 7


def test_open_backlog_overdue_at_risk_age_and_crew_weeks(organization, dispatcher, technician):
    now = utc(2026, 3, 10, 12)
    crew = Crew.objects.create(organization=organization, name="North")
    # One technician, Mon-Fri 08:00-16:00 = 40 crew hours a week.
    make_profile(technician, crew=crew, shifts=[(d, time(8), time(16)) for d in range(5)])
    # A: new, 2 h old, 10 of 12 h left -> on track; 480 min, ready. Age < 1 day.
    wo(dispatcher, status="new", priority="p1", created_at=now - timedelta(hours=2),
       due_at=now + timedelta(hours=10), estimated_minutes=480)  # fmt: skip
    # B: in progress, 10 days old, due an hour ago -> overdue; 600 min, not ready. Age 7-30.
    wo(dispatcher, status="in_progress", priority="p2", created_at=now - timedelta(days=10),
       due_at=now - timedelta(hours=1), estimated_minutes=600)  # fmt: skip
    # C: assigned, 20 h old, 2 of 22 h left (9 % < 25 %) -> at risk; no estimate. Age < 1 day.
    wo(dispatcher, status="assigned", priority="p3", created_at=now - timedelta(hours=20),
       due_at=now + timedelta(hours=2))  # fmt: skip
    # D: on hold, 40 days old, no SLA; 120 min. Age 30+.
    wo(dispatcher, status="on_hold", priority="p4", created_at=now - timedelta(days=40),
       estimated_minutes=120)  # fmt: skip
    # E: completed, not backlog.
    wo(dispatcher, status="completed", created_at=now - timedelta(days=3),
       completed_at=now - timedelta(days=1), estimated_minutes=999)  # fmt: skip

    board = dashboard(scope_for(organization, date(2026, 3, 1), date(2026, 3, 10)), now=now)
    values = figures(board)
    assert values["backlog"] == 4
    assert values["overdue"] == 1
    assert values["at_risk"] == 1
    assert board.tables["backlog_age"].rows == [
        ["< 1 day", 2],
        ["1-7 days", 0],
        ["7-30 days", 1],
        ["30+ days", 1],
    ]
    # Open hours (480 + 600 + 120) / 60 = 20 h over 40 h a week = 0.5 crew-weeks;
    # ready to schedule (new, assigned, dispatched): A's 8 h -> 0.2; C has no estimate.
    crew_weeks = board.figures["crew_weeks"]
    assert crew_weeks.value == 0.5
    assert crew_weeks.extra == {"ready_crew_weeks": 0.2, "ready_hours": 8.0, "unestimated": 1}
    grid = {row[0]: row[1:] for row in board.tables["backlog"].rows}
    assert grid["New"] == [1, 0, 0, 0, 1]
    assert grid["On hold"] == [0, 0, 0, 1, 1]


def test_period_figures_in_the_organisations_time_zone(organization, dispatcher):
    # Berlin is UTC+1 in early March: 2-8 March local = 1 Mar 23:00 UTC .. 8 Mar 23:00 UTC.
    t = utc(2026, 3, 2, 8)
    # W1 corrective: response 1 h (due 2 h: met), on site 3 h (due 24 h: met), done after 5 h
    # (due in 2 days: met); repair 2 h; scheduled to end 14:00, done 13:00 -> on schedule.
    wo(dispatcher, work_type="corrective", status="completed", created_at=t,
       responded_at=t + timedelta(hours=1), started_at=t + timedelta(hours=3),
       completed_at=t + timedelta(hours=5), response_due_at=t + timedelta(hours=2),
       onsite_due_at=t + timedelta(hours=24), due_at=t + timedelta(days=2),
       scheduled_start=t, scheduled_end=t + timedelta(hours=6))  # fmt: skip
    # W2 corrective: response 2 h (due 30 min: missed), on site 6 h (due 4 h: missed),
    # done after 10 h (due 8 h: breached); repair 4 h.
    t2 = utc(2026, 3, 3, 0)
    wo(dispatcher, work_type="corrective", status="completed", created_at=t2,
       responded_at=t2 + timedelta(hours=2), started_at=t2 + timedelta(hours=6),
       completed_at=t2 + timedelta(hours=10), response_due_at=t2 + timedelta(minutes=30),
       onsite_due_at=t2 + timedelta(hours=4), due_at=t2 + timedelta(hours=8))  # fmt: skip
    # W3 preventive created 1 Mar 23:30 UTC = 2 Mar 00:30 Berlin (in the period), completed
    # 8 Mar 23:30 UTC = 9 Mar Berlin (after it); scheduled to end 6 Mar -> late.
    wo(dispatcher, work_type="preventive", status="completed",
       created_at=utc(2026, 3, 1, 23, 30), completed_at=utc(2026, 3, 8, 23, 30),
       scheduled_start=utc(2026, 3, 5), scheduled_end=utc(2026, 3, 6, 12))  # fmt: skip
    # W4 inspection created 8 Mar 23:30 Berlin, still open, window ended 7 Mar -> not done.
    wo(dispatcher, work_type="inspection", status="assigned",
       created_at=utc(2026, 3, 8, 22, 30), scheduled_start=utc(2026, 3, 7, 8),
       scheduled_end=utc(2026, 3, 7, 10))  # fmt: skip
    # W5 corrective created and started 8 Mar 20:59 Berlin, done 23:59 Berlin: repair 3 h,
    # on site 0 h, resolution 3 h, no SLA, no response.
    w5 = utc(2026, 3, 8, 19, 59)
    wo(dispatcher, work_type="corrective", status="completed", created_at=w5,
       started_at=w5, completed_at=w5 + timedelta(hours=3))  # fmt: skip
    # W6 emergency created 9 Mar 01:00 Berlin: outside the period.
    wo(dispatcher, work_type="emergency", status="new", created_at=utc(2026, 3, 9, 0))

    board = dashboard(
        scope_for(organization, date(2026, 3, 2), date(2026, 3, 8), tz="Europe/Berlin"),
        now=utc(2026, 3, 20),
    )
    f = board.figures
    # Completed in the period: W1, W2, W5. With an SLA: W1 (met), W2 (breached) -> 50 %.
    assert (f["sla_compliance"].value, f["sla_compliance"].numerator) == (50.0, 1)
    assert f["sla_compliance"].denominator == 2
    # Response: (1 + 2) / 2 = 1.5 h, 1 of 2 met. On site: (3 + 6 + 0) / 3 = 3 h, 1 of 2 met.
    assert (f["response_time"].value, f["response_time"].numerator) == (1.5, 1)
    assert (f["onsite_time"].value, f["onsite_time"].numerator) == (3.0, 1)
    # Resolution: (5 + 10 + 3) / 3 = 6 h.
    assert f["resolution_time"].value == 6.0
    # MTTR (repair): (2 + 4 + 3) / 3 = 3 h over 3 repairs.
    assert (f["mttr_labour"].value, f["mttr_labour"].denominator) == (3.0, 3)
    # Created in the period: W1, W2, W5 reactive; W3, W4 planned -> 2 / 3 = 0.7.
    assert (f["planned_reactive"].numerator, f["planned_reactive"].denominator) == (2, 3)
    assert f["planned_reactive"].value == 0.7
    # Windows ending in the period: W1 (kept), W3 (late), W4 (not done) -> 1 / 3 = 33.3 %.
    assert f["schedule_compliance"].value == 33.3
    # Per Berlin day: created 2 Mar W1, W3; 3 Mar W2; 8 Mar W4, W5. Completed 2, 3, 8 Mar.
    days = {row[0]: row[1:] for row in board.tables["per_day"].rows}
    assert days["2026-03-02"] == [2, 1]
    assert days["2026-03-03"] == [1, 1]
    assert days["2026-03-08"] == [2, 1]
    assert sum(row[1] for row in board.tables["per_day"].rows) == 5


def test_first_time_fix_counts_repeats_and_follow_ups_within_n_days(organization, admin_member):
    d = admin_member
    x, y, z, w, v = (make_asset(d, code) for code in ("X", "Y", "Z", "W", "V"))

    def done(asset, completed, **kw):
        created = completed - timedelta(hours=5)
        return wo(d, work_type="corrective", status="completed", asset=asset,
                  created_at=created, completed_at=completed, **kw)  # fmt: skip

    done(x, utc(2026, 3, 5))  # repeat corrective on X on 20 Mar (15 days) -> not fixed
    wo(d, work_type="corrective", status="new", asset=x, created_at=utc(2026, 3, 20))
    done(y, utc(2026, 3, 10))  # only a preventive follows on Y -> fixed
    wo(d, work_type="preventive", status="new", asset=y, created_at=utc(2026, 3, 12))
    first_z = done(z, utc(2026, 3, 10))  # a follow-up inspection links to it -> not fixed
    wo(d, work_type="inspection", status="new", asset=z, created_at=utc(2026, 3, 11),
       follow_up_of=first_z)  # fmt: skip
    done(w, utc(2026, 3, 25))  # nothing follows -> fixed
    done(v, utc(2026, 3, 1, 1))  # repeat 31 days later, outside 30 -> fixed
    wo(d, work_type="corrective", status="new", asset=v, created_at=utc(2026, 4, 1, 2))

    board = dashboard(scope_for(organization, date(2026, 3, 1), date(2026, 3, 31)))
    # Completed corrective with an asset in March: X, Y, Z, W, V = 5; fixed Y, W, V = 3 -> 60 %.
    ftf = board.figures["first_time_fix"]
    assert (ftf.numerator, ftf.denominator, ftf.value) == (3, 5, 60.0)
    assert "30 days" in ftf.definition


def test_downtime_mttr_and_mtbf_from_asset_status_history(organization, admin_member):
    a = make_asset(admin_member, "A")
    b = make_asset(admin_member, "B")
    c = make_asset(admin_member, "C")

    def change(asset, at, to, frm="operating"):
        AssetStatusChange.objects.create(
            organization=organization, asset=asset, from_status=frm, to_status=to, changed_at=at
        )

    AssetStatusChange.objects.all().delete()
    # Period 1-10 March UTC = 240 h.
    # A: down 3 Mar 00:00-06:00 and 6 Mar 00:00-12:00: 2 failures, 18 h down, 222 h operating.
    change(a, utc(2026, 2, 20), "operating", frm="")
    change(a, utc(2026, 3, 3), "down")
    change(a, utc(2026, 3, 3, 6), "operating", frm="down")
    change(a, utc(2026, 3, 6), "down")
    change(a, utc(2026, 3, 6, 12), "operating", frm="down")
    # B: down since 28 Feb (an earlier failure, not counted), up 2 Mar, down again 9 Mar until
    # the period ends 11 Mar 00:00: 1 failure, 48 h down, 168 h operating.
    change(b, utc(2026, 2, 28), "down")
    change(b, utc(2026, 3, 2), "operating", frm="down")
    change(b, utc(2026, 3, 9), "down")
    # C: no change in the period -> not in the figures.
    change(c, utc(2026, 2, 1), "down")

    board = dashboard(
        scope_for(organization, date(2026, 3, 1), date(2026, 3, 10)), now=utc(2026, 3, 20)
    )
    f = board.figures
    # Downtime per failure: (18 + 48) / 3 = 22 h. MTBF: (222 + 168) / 3 = 130 h.
    assert (f["mttr_downtime"].value, f["mttr_downtime"].denominator) == (22.0, 3)
    assert f["mtbf"].value == 130.0
    rows = {row[0]: row[2:] for row in board.tables["assets"].rows}
    assert rows == {"A": [2, 18.0, 9.0, 111.0], "B": [1, 48.0, 48.0, 168.0]}


def test_utilisation_wrench_time_and_planned_percentage(
    organization, dispatcher, technician, other_org_user
):
    make_profile(technician, shifts=[(d, time(8), time(16)) for d in range(5)])
    corrective = wo(dispatcher, work_type="corrective")
    preventive = wo(dispatcher, work_type="preventive")

    def log(work_order, kind, start, end, who=technician, org=organization):
        TimeEntry.objects.create(
            organization=org, work_order=work_order, technician=who, kind=kind,
            started_at=start, ended_at=end, occurred_at=start,
            minutes=int((end - start).total_seconds() // 60),
        )  # fmt: skip

    # Period 2-8 March Berlin = 1 Mar 23:00 UTC .. 8 Mar 23:00 UTC.
    log(corrective, "work", utc(2026, 3, 1, 22), utc(2026, 3, 2, 0))  # 1 h inside the edge
    log(corrective, "travel", utc(2026, 3, 2, 7), utc(2026, 3, 2, 8))  # 1 h travel
    log(corrective, "work", utc(2026, 3, 2, 8), utc(2026, 3, 2, 12))  # 4 h work
    log(corrective, "waiting", utc(2026, 3, 3, 9), utc(2026, 3, 3, 9, 30))  # 0.5 h waiting
    log(corrective, "break", utc(2026, 3, 3, 12), utc(2026, 3, 3, 12, 30))  # not paid here
    log(preventive, "work", utc(2026, 3, 4, 9), utc(2026, 3, 4, 11))  # 2 h planned work
    log(corrective, "work", utc(2026, 3, 9, 10), utc(2026, 3, 9, 12))  # after the period
    other = wo(other_org_user, work_type="corrective")
    log(other, "work", utc(2026, 3, 2, 8), utc(2026, 3, 2, 18), other_org_user,
        other_org_user.organization)  # fmt: skip

    board = dashboard(
        scope_for(organization, date(2026, 3, 2), date(2026, 3, 8), tz="Europe/Berlin")
    )
    f = board.figures
    # Work 1 + 4 + 2 = 7 h; shifts Mon-Fri 8 h = 40 h -> utilisation 17.5 %.
    assert (f["utilisation"].numerator, f["utilisation"].denominator) == (7.0, 40.0)
    assert f["utilisation"].value == 17.5
    # Paid (travel + work + waiting) = 1 + 7 + 0.5 = 8.5 h -> wrench time 7 / 8.5 = 82.4 %.
    assert f["wrench_time"].value == 82.4
    # Planned work 2 h of 7 h -> 28.6 %.
    assert f["pmp"].value == 28.6


def test_site_and_team_narrow_the_figures(organization, admin_member, technician, dispatcher):
    site = make_location(admin_member, "S1")
    building = make_location(admin_member, "B1", kind="building", parent=site)
    elsewhere = make_location(admin_member, "S2")
    crew = Crew.objects.create(organization=organization, name="North")
    make_profile(technician, crew=crew)
    now = utc(2026, 3, 10)
    inside = wo(dispatcher, status="new", location=building, created_at=now)
    wo(dispatcher, status="new", location=elsewhere, created_at=now)
    WorkOrder.objects.get(pk=inside.pk).assignments.create(membership=technician, assigned_at=now)
    period = (date(2026, 3, 1), date(2026, 3, 10))
    assert figures(dashboard(scope_for(organization, *period), now=now))["backlog"] == 2
    assert figures(dashboard(scope_for(organization, *period, site=site), now=now))["backlog"] == 1
    assert figures(dashboard(scope_for(organization, *period, team=crew), now=now))["backlog"] == 1


def test_another_organisations_work_is_never_counted(organization, other_org_user, dispatcher):
    now = utc(2026, 3, 10)
    wo(other_org_user, status="new", created_at=now, due_at=now - timedelta(hours=1))
    wo(other_org_user, status="completed", created_at=now, completed_at=now)
    board = dashboard(scope_for(organization, date(2026, 3, 1), date(2026, 3, 10)), now=now)
    assert board.figures["backlog"].value == 0
    assert board.figures["overdue"].value == 0
    assert sum(row[2] for row in board.tables["per_day"].rows) == 0


def test_the_dashboard_runs_a_fixed_number_of_queries(
    organization, dispatcher, django_assert_num_queries
):
    scope = scope_for(organization, date(2026, 3, 1), date(2026, 3, 31))
    with django_assert_num_queries(11):
        dashboard(scope, now=utc(2026, 3, 31))
    for n in range(12):
        wo(dispatcher, status="completed" if n % 2 else "new", created_at=utc(2026, 3, 1 + n),
           completed_at=utc(2026, 3, 2 + n), started_at=utc(2026, 3, 1 + n),
           work_type="corrective")  # fmt: skip
    with django_assert_num_queries(11):
        dashboard(scope, now=utc(2026, 3, 31))
