"""Plan the day: ask for a plan, solve it (in a Celery task), accept all of it, a lane or one
job. Accepting goes through the one assignment service (skill, certificate, shift and leave
rules, history, notifications, events) and records each accepted job once per plan."""

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.models import Location
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import DomainError, NotFound, ValidationFailed
from fieldops.time import zone_of
from workorders.dispatch.models import Crew, DayPlan, DayPlanAcceptance, DayPlanStatus
from workorders.dispatch.planning.build import Built, build_problem
from workorders.dispatch.planning.problem import Job, Plan, Route, Stop, Technician, Unplaced, clock
from workorders.dispatch.planning.replan import insert_emergency, running_late
from workorders.dispatch.planning.schedule import fit, timed_route
from workorders.dispatch.planning.solver import layout, solve
from workorders.dispatch.planning.travel import Osrm, StraightLine, TravelMatrix, Valhalla
from workorders.models import ChangeSource, WorkOrder
from workorders.services import work_order_assign

SOLVE_TASK = "workorders.dispatch.tasks.day_plan_solve_task"


def travel_matrix() -> TravelMatrix:
    """A routing engine when one is configured (PLANNING_ROUTER_URL), else the straight line."""
    url = getattr(settings, "PLANNING_ROUTER_URL", "")
    if url:
        kind = getattr(settings, "PLANNING_ROUTER", "osrm")
        return Valhalla(url) if kind == "valhalla" else Osrm(url)
    return StraightLine()


def day_plan_request(
    *,
    membership: Membership,
    day: date,
    site_id: UUID | None = None,
    crew_id: UUID | None = None,
) -> DayPlan:
    require(membership, "work.dispatch")
    today = timezone.now().astimezone(zone_of(membership)).date()
    if day < today:
        raise ValidationFailed(details={"day": "Plan today or a later day."})
    if site_id and crew_id:
        raise ValidationFailed(details={"site": "Plan a site or a crew, not both."})
    site = crew = None
    if site_id:
        site = Location.objects.filter(
            organization_id=membership.organization_id, public_id=site_id
        ).first()
        if site is None:
            raise ValidationFailed(details={"site": "Not a location of your organisation."})
    if crew_id:
        crew = Crew.objects.filter(
            organization_id=membership.organization_id, public_id=crew_id
        ).first()
        if crew is None:
            raise ValidationFailed(details={"crew": "Not a crew of your organisation."})
    with transaction.atomic():
        plan = DayPlan.objects.create(
            organization_id=membership.organization_id,
            day=day,
            site=site,
            crew=crew,
            requested_by=membership,
            time_limit=getattr(settings, "DAY_PLAN_TIME_LIMIT", 10),
        )
        # By name: services never import tasks.
        transaction.on_commit(lambda: current_app.tasks[SOLVE_TASK].delay(plan.pk))
    return plan


def day_plan_solve(*, plan_id: int) -> DayPlan:
    """Solve a queued plan; a plan already solved (a redelivered task) is left as it is."""
    with transaction.atomic():
        plan = DayPlan.objects.select_for_update().select_related("organization").get(pk=plan_id)
        if plan.status in (DayPlanStatus.READY, DayPlanStatus.FAILED):
            return plan
        plan.status, plan.solving_since = DayPlanStatus.SOLVING, timezone.now()
        plan.save(update_fields=["status", "solving_since", "updated_at"])
    try:
        now = timezone.now()
        built = build_problem(
            organization_id=plan.organization_id,
            zone=zone_of(plan.organization),
            day=plan.day,
            now=now,
            site=plan.site,
            crew=plan.crew,
        )
        grid = layout(built.problem, travel_matrix())
        result = solve(built.problem, prepared=grid, time_limit=plan.time_limit)
        plan.proposal = proposal(built, result, grid)
        plan.status = DayPlanStatus.READY
    except Exception as error:  # a plan that cannot be made says so; the task does not retry
        plan.status, plan.error = DayPlanStatus.FAILED, str(error)[:500]
    plan.finished_at = timezone.now()
    plan.save(update_fields=["status", "proposal", "error", "finished_at", "updated_at"])
    return plan


# --- the proposal ------------------------------------------------------------------------------


def _today_lanes(built: Built) -> dict[str, list[Job]]:
    """Today's plan per technician: their jobs scheduled that day, in time order."""
    lanes: dict[str, list[tuple[datetime, Job]]] = {}
    for job in built.problem.jobs:
        wo = built.work_orders[job.id]
        if wo.scheduled_start is None:
            continue
        for technician_id in built.current.get(job.id, []):
            lanes.setdefault(technician_id, []).append((wo.scheduled_start, job))
    return {k: [j for _, j in sorted(v, key=lambda x: x[0])] for k, v in lanes.items()}


def _why(built: Built, job: Job, technician: Technician, before: list[str]) -> str:
    reasons = []
    if not before:
        reasons.append("was unassigned")
    elif technician.id not in before:
        names = []
        for other_id in before:
            other = next((t for t in built.problem.technicians if t.id == other_id), None)
            if other is None:
                continue
            problem = fit(other, job)
            names.append(f"{other.name}: {problem[1]}" if problem else f"from {other.name}")
        reasons.append("; ".join(names) or "from another technician")
        if all(
            fit(next(t for t in built.problem.technicians if t.id == o), job) is None
            for o in before
            if any(t.id == o for t in built.problem.technicians)
        ):
            reasons.append("less driving overall")
    if job.skill:
        reasons.append(f"skill {job.skill}")
    if job.due is not None:
        reasons.append(f"SLA due {clock(job.due)}")
    if job.window is not None:
        reasons.append(f"{job.window.kind} {clock(job.window.open)}-{clock(job.window.close)}")
    return ", ".join(reasons)


def proposal(built: Built, result: Plan, grid) -> dict:
    today = _today_lanes(built)
    lanes, before_total = [], 0
    for route in result.routes:
        technician = built.problem.technician(route.technician_id)
        member = built.technicians[technician.id]
        current = today.get(technician.id, [])
        before = (
            timed_route(
                technician,
                current,
                minutes=grid.minutes,
                index=grid.index,
                start_index=grid.starts[technician.id],
                end_index=grid.ends[technician.id],
            ).travel
            if current and not technician.unavailable
            else 0
        )
        before_total += before
        stops = []
        for position, stop in enumerate(route.stops, start=1):
            job = built.problem.job(stop.job_id)
            wo = built.work_orders[job.id]
            start = built.at(stop.start)
            was = built.current.get(job.id, [])
            if job.id in built.started:
                change = "started"
            elif technician.id not in was:
                change = "moved" if was else "new"
            elif wo.scheduled_start != start:
                change = "retimed"
            else:
                change = "same"
            old = (
                timezone.localtime(wo.scheduled_start, built.zone).strftime("%H:%M")
                if wo.scheduled_start
                else ""
            )
            stops.append(
                {
                    "position": position,
                    "work_order": wo.public_id.hex,
                    "number": wo.reference,
                    "title": wo.title,
                    "priority": wo.priority,
                    "version": wo.version,
                    "arrival": clock(stop.arrival),
                    "start": start.isoformat(),
                    "start_label": clock(stop.start),
                    "end_label": clock(stop.end),
                    "travel": stop.travel,
                    "change": change,
                    "was": old,
                    "why": ""
                    if change in ("same", "started")
                    else _why(built, job, technician, was),
                }
            )
        lanes.append(
            {
                "technician": technician.id,
                "technician_uuid": str(member.public_id),
                "name": technician.name,
                "unavailable": technician.unavailable,
                "travel_before": before,
                "travel_after": route.travel if route.stops else 0,
                "finish": clock(route.finish) if route.stops else "",
                "stops": stops,
            }
        )
    unplaced = [
        {
            "work_order": built.work_orders[u.job_id].public_id.hex,
            "number": built.work_orders[u.job_id].reference,
            "title": built.work_orders[u.job_id].title,
            "constraint": u.constraint,
            "text": u.text,
        }
        for u in result.unplaced
    ] + [
        {
            "work_order": wo.public_id.hex,
            "number": wo.reference,
            "title": wo.title,
            "constraint": "location",
            "text": "no position for its asset, location or site",
        }
        for wo in built.unlocated
    ]
    return {
        "lanes": lanes,
        "unplaced": unplaced,
        "travel": {"before": before_total, "after": result.travel},
        "seconds": round(result.seconds, 2),
    }


# --- accepting ---------------------------------------------------------------------------------


@dataclass
class Accepted:
    accepted: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)


def day_plan_get_for_member(membership: Membership, public_id) -> DayPlan:
    plan = DayPlan.objects.filter(
        organization_id=membership.organization_id, public_id=public_id
    ).first()
    if plan is None:
        raise NotFound()
    return plan


def day_plan_accept(
    *,
    membership: Membership,
    plan: DayPlan,
    technician: UUID | str | None = None,
    work_order: UUID | str | None = None,
) -> Accepted:
    """Accept the whole proposal, one technician's lane (``technician``: the lane's id) or one
    job (``work_order``: its public id, hex). Each stop is assigned through the one assignment
    service with the version it was planned from: a job changed since, or a rule that now says
    no (time off taken meanwhile), is refused with its reason and the rest go on."""
    require(membership, "work.dispatch")
    if plan.status != DayPlanStatus.READY:
        raise ValidationFailed("The plan is not ready yet.", details={"plan": plan.status})
    chosen = []
    for lane in plan.proposal.get("lanes", []):
        if technician and lane["technician"] != _hex(technician):
            continue
        for stop in lane["stops"]:
            if work_order and stop["work_order"] != _hex(work_order):
                continue
            chosen.append((lane, stop))
    if (technician or work_order) and not chosen:
        raise ValidationFailed(
            details={"work_order" if work_order else "technician": "Not in this plan."}
        )
    result = Accepted()
    for lane, stop in chosen:
        if stop["change"] in ("same", "started"):
            result.unchanged.append(stop["number"])
            continue
        try:
            with transaction.atomic():
                wo = WorkOrder.objects.get(
                    organization_id=plan.organization_id, public_id=UUID(stop["work_order"])
                )
                DayPlanAcceptance.objects.create(
                    plan=plan, work_order=wo, accepted_by=membership, accepted_at=timezone.now()
                )
                work_order_assign(
                    membership=membership,
                    work_order=wo,
                    technician_ids=[UUID(lane["technician_uuid"])],
                    expected_version=stop["version"],
                    start=datetime.fromisoformat(stop["start"]),
                    source=ChangeSource.WEB,
                )
        except IntegrityError:
            result.already.append(stop["number"])
        except WorkOrder.DoesNotExist:
            result.refused.append(
                {"number": stop["number"], "code": "NOT_FOUND", "message": "Deleted."}
            )
        except DomainError as error:
            result.refused.append(
                {"number": stop["number"], "code": error.code, "message": error.message}
            )
        else:
            result.accepted.append(stop["number"])
    return result


def _hex(value: UUID | str) -> str:
    try:
        return UUID(str(value)).hex
    except ValueError:
        return ""


def day_plan_progress(plan: DayPlan, *, now: datetime | None = None) -> int:
    """Per cent done: the solver searches for its whole time limit, so time tells."""
    if plan.status in (DayPlanStatus.READY, DayPlanStatus.FAILED):
        return 100
    if plan.status == DayPlanStatus.QUEUED or plan.solving_since is None:
        return 0
    spent = ((now or timezone.now()) - plan.solving_since).total_seconds()
    return max(1, min(95, int(spent / max(1, plan.time_limit) * 100)))


# --- re-planning on the day --------------------------------------------------------------------


def _stored_plan(built: Built, plan: DayPlan) -> Plan:
    """The proposal as it stands (accepted or not), over the jobs that are still open."""
    routes = []
    for lane in plan.proposal.get("lanes", []):
        if lane["technician"] not in built.technicians:
            continue
        stops = []
        for stop in lane["stops"]:
            if stop["work_order"] not in built.work_orders:
                continue
            start = built.minutes(datetime.fromisoformat(stop["start"]))
            job = built.problem.job(stop["work_order"])
            stops.append(Stop(job.id, start, start, start + job.duration, stop["travel"]))
        routes.append(
            Route(
                lane["technician"],
                tuple(stops),
                lane["travel_after"],
                stops[-1].end if stops else 0,
            )
        )
    return Plan(tuple(routes), ())


def _replanning(membership: Membership, plan: DayPlan) -> tuple[Built, datetime]:
    """A ready plan's problem built afresh, for a change on the day."""
    require(membership, "work.dispatch")
    if plan.status != DayPlanStatus.READY:
        raise ValidationFailed("The plan is not ready yet.", details={"plan": plan.status})
    now = timezone.now()
    built = build_problem(
        organization_id=plan.organization_id,
        zone=zone_of(membership),
        day=plan.day,
        now=now,
        site=plan.site,
        crew=plan.crew,
    )
    return built, now


def _save_replanned(plan: DayPlan, built: Built, replanned: Plan, grid) -> None:
    # The travel the day had before planning stays the comparison's baseline.
    updated = proposal(built, replanned, grid)
    updated["travel"]["before"] = plan.proposal.get("travel", {}).get("before", 0)
    plan.proposal = updated
    plan.save(update_fields=["proposal", "updated_at"])


def day_plan_insert(*, membership: Membership, plan: DayPlan, work_order: str) -> dict:
    """Insert one job (an emergency) into the plan with the least disruption: nothing started
    or past moves, only later jobs shift. The proposal is updated for the dispatcher to accept
    as usual; the answer says where it went and whose jobs now start later."""
    built, now = _replanning(membership, plan)
    key = _hex(work_order)
    if key not in built.work_orders:
        raise ValidationFailed(
            details={"work_order": "Not open work of this plan's day and scope."}
        )
    current = _stored_plan(built, plan)
    if any(s.job_id == key for r in current.routes for s in r.stops):
        raise ValidationFailed(details={"work_order": "Already in the plan."})
    grid = layout(built.problem, travel_matrix())
    placed = insert_emergency(
        built.problem, current, built.problem.job(key), grid=grid, now=built.minutes(now) or 0
    )
    if placed.technician_id is None:
        raise ValidationFailed(placed.reason, details={"work_order": placed.reason})
    unplaced = tuple(
        Unplaced(u["work_order"], u["constraint"], u["text"])
        for u in plan.proposal.get("unplaced", [])
        if u["work_order"] != key and u["work_order"] in built.work_orders
    )
    _save_replanned(plan, built, Plan(placed.plan.routes, unplaced), grid)
    numbers = {k: wo.reference for k, wo in built.work_orders.items()}
    return {
        "technician": built.problem.technician(placed.technician_id).name,
        "position": placed.position + 1,
        "added_travel": placed.added_travel,
        "delays": {numbers[k]: minutes for k, minutes in placed.delays.items()},
    }


def day_plan_late(*, membership: Membership, plan: DayPlan, technician: str, minutes: int) -> dict:
    """A technician's current (or next) job runs ``minutes`` over: their later stops in the
    proposal are shifted in the same order, and the answer says what that now breaks."""
    if not 1 <= minutes <= 8 * 60:
        raise ValidationFailed(details={"minutes": "Between 1 and 480."})
    built, now = _replanning(membership, plan)
    key = _hex(technician)
    current = _stored_plan(built, plan)
    if current.route_of(key) is None:
        raise ValidationFailed(details={"technician": "No lane of this plan."})
    grid = layout(built.problem, travel_matrix())
    late = running_late(
        built.problem, current, key, minutes=minutes, grid=grid, now=built.minutes(now) or 0
    )
    routes = tuple(late.route if r.technician_id == key else r for r in current.routes)
    unplaced = tuple(
        Unplaced(u["work_order"], u["constraint"], u["text"])
        for u in plan.proposal.get("unplaced", [])
        if u["work_order"] in built.work_orders
    )
    _save_replanned(plan, built, Plan(routes, unplaced), grid)
    numbers = {k: wo.reference for k, wo in built.work_orders.items()}
    return {
        "shifted": {numbers[k]: m for k, m in late.shifted.items()},
        "broken": [_numbered(text, built) for text in late.broken],
    }


def _numbered(text: str, built: Built) -> str:
    for key, wo in built.work_orders.items():
        text = text.replace(key, wo.reference)
    return text
