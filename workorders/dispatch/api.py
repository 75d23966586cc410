"""Workforce and dispatch over JSON: technicians, suggestions, dispatching, what phones report."""

from datetime import date, datetime
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.time import parse_moment, zone_of
from workorders import services as work_services
from workorders.dispatch import schemas, services
from workorders.dispatch.planning import services as planning
from workorders.dispatch.selectors import (
    device_summary,
    display_name,
    loads_for,
    profile_of,
    skill_check,
    technician_get_for_member,
    technicians_for,
)
from workorders.dispatch.suggestions import suggestions_for
from workorders.maintenance.schedule import local_today
from workorders.selectors import work_order_get_for_member

router = Router(tags=["dispatch"])


def _office(request: HttpRequest) -> Membership:
    membership: Membership = request.auth
    require(membership, "board.view")
    return membership


def _technician_out(technician: Membership, *, open_jobs: int, now: datetime, today: date) -> dict:
    profile = profile_of(technician)
    skills = []
    if profile is not None:
        certificates = list(profile.certifications.all())
        for entry in profile.skills.all():
            dates = [c.expires_on for c in certificates if c.skill_id == entry.skill_id]
            skills.append(
                {
                    "code": entry.skill.code,
                    "name": entry.skill.name,
                    "level": entry.level,
                    "certified_until": max((d for d in dates if d), default=None),
                    "counts": skill_check(technician, entry.skill.code, today).ok,
                }
            )
    device = device_summary(technician, now=now)
    home = last = None
    if profile is not None and profile.home_latitude is not None:
        home = {
            "latitude": profile.home_latitude,
            "longitude": profile.home_longitude,
            "at": None,
        }
    if profile is not None and profile.location_consent and profile.last_latitude is not None:
        last = {
            "latitude": profile.last_latitude,
            "longitude": profile.last_longitude,
            "at": profile.last_position_at,
        }
    return {
        "id": technician.public_id,
        "username": technician.user.get_username(),
        "name": display_name(technician),
        "status": profile.status if profile else "available",
        "crew": profile.crew.name if profile and profile.crew else None,
        "skills": skills,
        "home_base": home,
        "last_position": last,
        "device": {
            "last_synced_at": device["last_synced_at"],
            "pending_changes": device["pending"],
            "stale": device["stale"],
        }
        if device["known"]
        else None,
        "open_jobs": open_jobs,
    }


@router.get("/technicians", response=list[schemas.TechnicianOut], summary="The workforce")
def technician_list(request: HttpRequest):
    membership = _office(request)
    now = timezone.now()
    technicians = list(technicians_for(membership.organization_id))
    loads = loads_for(technicians, window=None)
    today = local_today(now, membership.organization.time_zone)
    return [
        _technician_out(t, open_jobs=loads[t.pk].open_jobs, now=now, today=today)
        for t in technicians
    ]


@router.get(
    "/work-orders/{ref}/suggestions",
    response=list[schemas.SuggestionOut],
    summary="Technicians ranked for a work order, with reasons",
)
def suggestion_list(request: HttpRequest, ref: str, start: Query[str | None] = None):
    membership = _office(request)
    work_order = work_order_get_for_member(membership, ref)
    when = parse_moment(start, zone=zone_of(membership), field="start")
    return [
        {
            "technician": s.technician.public_id,
            "name": s.name,
            "score": s.score,
            "needs_override": s.needs_override,
            "distance_km": round(s.distance_km, 2) if s.distance_km is not None else None,
            "open_jobs": s.open_jobs,
            "reasons": [r.__dict__ for r in s.reasons],
        }
        for s in suggestions_for(membership=membership, work_order=work_order, start=when)
    ]


@router.post(
    "/work-orders/{ref}/dispatch",
    response=schemas.DispatchOut,
    summary="Assign (and optionally plan) with the skill and shift rules; override with a reason",
)
def dispatch(request: HttpRequest, ref: str, payload: schemas.DispatchIn):
    membership: Membership = request.auth
    work_order = work_order_get_for_member(membership, ref)
    work_order = work_services.work_order_assign(
        membership=membership,
        work_order=work_order,
        technician_ids=payload.technician_ids,
        expected_version=payload.version,
        start=payload.start,
        override=payload.override,
        override_reason=payload.override_reason,
        source="api",
    )
    work_order = work_order_get_for_member(membership, work_order.public_id)
    return {
        "number": work_order.reference,
        "status": work_order.status,
        "version": work_order.version,
        "scheduled_start": work_order.scheduled_start,
        "scheduled_end": work_order.scheduled_end,
        "technicians": [a.membership.public_id for a in work_order.assignments.all()],
    }


@router.post("/technicians/me/position", response={204: None}, summary="Report my position")
def position_report(request: HttpRequest, payload: schemas.PositionIn):
    services.technician_position_report(
        membership=request.auth,
        latitude=payload.latitude,
        longitude=payload.longitude,
        consent=payload.consent,
        at=payload.at,
    )
    return 204, None


@router.post("/technicians/me/device", response={204: None}, summary="Report my device state")
def device_report(request: HttpRequest, payload: schemas.DeviceStateIn):
    services.device_state_record(
        membership=request.auth,
        device_id=payload.device_id,
        pending=payload.pending,
        synced_at=payload.synced_at,
    )
    return 204, None


@router.put("/technicians/{technician_id}/status", response={204: None}, summary="Set status")
def status_set(request: HttpRequest, technician_id: UUID, payload: schemas.TechnicianStatusIn):
    membership: Membership = request.auth
    technician = (
        membership
        if membership.public_id == technician_id
        else technician_get_for_member(membership, technician_id)
    )
    services.technician_status_set(
        membership=membership, technician=technician, status=payload.status
    )
    return 204, None


# --- plan the day -------------------------------------------------------------------------------


def _day_plan_out(plan) -> dict:
    return {
        "id": plan.public_id,
        "day": plan.day,
        "status": plan.status,
        "progress": planning.day_plan_progress(plan),
        "error": plan.error,
        "proposal": plan.proposal,
    }


@router.post(
    "/day-plans",
    response={202: schemas.DayPlanOut},
    summary="Plan the day (solved in the background)",
)
def day_plan_create(request: HttpRequest, payload: schemas.DayPlanIn):
    plan = planning.day_plan_request(
        membership=request.auth, day=payload.day, site_id=payload.site, crew_id=payload.crew
    )
    plan.refresh_from_db()
    return Status(202, _day_plan_out(plan))


@router.get(
    "/day-plans/{day_plan_id}", response=schemas.DayPlanOut, summary="A day plan and its proposal"
)
def day_plan_read(request: HttpRequest, day_plan_id: UUID):
    plan = planning.day_plan_get_for_member(_office(request), day_plan_id)
    return _day_plan_out(plan)


@router.post(
    "/day-plans/{day_plan_id}/accept",
    response=schemas.DayPlanAcceptOut,
    summary="Accept the proposal: all, one technician's lane, or one job",
)
def day_plan_accept(request: HttpRequest, day_plan_id: UUID, payload: schemas.DayPlanAcceptIn):
    membership = _office(request)
    plan = planning.day_plan_get_for_member(membership, day_plan_id)
    result = planning.day_plan_accept(
        membership=membership,
        plan=plan,
        **payload.model_dump(),
    )
    return result.__dict__


@router.post(
    "/day-plans/{day_plan_id}/insert",
    response=schemas.DayPlanInsertOut,
    summary="Insert an emergency into the plan with the least disruption",
)
def day_plan_insert(request: HttpRequest, day_plan_id: UUID, payload: schemas.DayPlanInsertIn):
    membership = _office(request)
    plan = planning.day_plan_get_for_member(membership, day_plan_id)
    return planning.day_plan_insert(
        membership=membership, plan=plan, work_order=payload.work_order.hex
    )


@router.post(
    "/day-plans/{day_plan_id}/late",
    response=schemas.DayPlanLateOut,
    summary="A technician is running late: shift their later stops",
)
def day_plan_late(request: HttpRequest, day_plan_id: UUID, payload: schemas.DayPlanLateIn):
    membership = _office(request)
    plan = planning.day_plan_get_for_member(membership, day_plan_id)
    return planning.day_plan_late(
        membership=membership,
        plan=plan,
        technician=payload.technician.hex,
        minutes=payload.minutes,
    )
