"""The work-order page every role shares, and the actions its buttons and forms post to.

Each action parses the form, calls one service and redirects back (post/redirect/get). A refused
action re-renders the page with the reason next to the field and the typed text kept."""

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from fieldops.accounts.models import Membership, Role
from fieldops.accounts.permissions import may
from fieldops.errors import DomainError, ValidationFailed, VersionConflict
from fieldops.uploads import check_upload
from workorders import services
from workorders.lifecycle import ACTION_LABELS, ASSIGNABLE_STATUSES, STARTABLE_STATUSES
from workorders.models import ChangeSource, Part, Status, TimeKind, WorkOrder
from workorders.selectors import job_meter_readings, job_meters, work_order_get_for_member
from workorders.serializers import checklist_out
from workorders.services.completion import FAILURE_ANALYSIS_TYPES
from workorders.services.locking import is_locked, reopen_hint, require_unlocked
from workorders.services.sla import sla_state
from workorders.views.edit_form import edit_context

# The page's own section and item ids ("time", "item-12"): nothing a redirect could misuse.
ANCHOR = re.compile(r"[a-z][a-z0-9-]{0,40}")


def _membership(request: HttpRequest) -> Membership:
    if request.membership is None:
        raise DomainError("You are not part of an organisation.")
    return request.membership


def detail_context(request: HttpRequest, work_order: WorkOrder, *, reload: bool = True) -> dict:
    """``reload=False`` when ``work_order`` was just read by work_order_get_for_member (a page
    view); after an action it is read again, since the action may have changed it."""
    membership = _membership(request)
    if reload:
        work_order = work_order_get_for_member(membership, work_order.public_id)
    actions = [
        {"action": action, "to": target, "label": ACTION_LABELS[action]}
        for action, target in services.actions_for(work_order, membership)
    ]
    time_entries = list(work_order.time_entries.select_related("technician__user"))
    # the earliest of my clocks still running (time entries come in start order)
    running = next(
        (t for t in time_entries if t.technician_id == membership.pk and t.ended_at is None), None
    )
    assignments = work_order.assignments.all()  # prefetched with the work order
    is_manager = may(membership, "work.edit")
    return {
        **(edit_context(work_order) if is_manager else {}),
        "wo": work_order,
        "sla": sla_state(work_order, now=timezone.now()),
        "actions": [a for a in actions if a["action"] not in ("complete", "cancel", "reopen")],
        # Done work shows what was done, no forms; reopening is the one way back.
        "locked": is_locked(work_order),
        "reopen_hint": reopen_hint(work_order.status),
        "reopen": next((a for a in actions if a["action"] == "reopen"), None),
        "can_complete": any(a["action"] == "complete" for a in actions),
        # Rendered hidden, so a phone that starts the job offline can still complete it.
        "may_complete_later": work_order.status in STARTABLE_STATUSES
        and any(a.membership_id == membership.pk for a in assignments),
        "can_cancel": any(a["action"] == "cancel" for a in actions),
        "checklist": _checklist(work_order),
        "notes": work_order.notes.select_related("author__user"),
        "time_entries": time_entries,
        "running": running,
        "time_kinds": TimeKind.choices,
        "parts_used": work_order.parts_used.select_related("part"),
        "parts": Part.objects.filter(
            organization_id=membership.organization_id, is_active=True
        ).order_by("code")[:500],
        "attachments": work_order.attachments.all(),
        "signatures": work_order.signatures.all(),
        "history": work_order.history.select_related("actor__user"),
        "needs_failure_analysis": work_order.work_type in FAILURE_ANALYSIS_TYPES,
        "missing": services.completion_problems(work_order)
        if work_order.status == Status.IN_PROGRESS
        else {},
        "technicians": Membership.objects.filter(
            organization_id=membership.organization_id, role=Role.TECHNICIAN, is_active=True
        )
        .select_related("user")
        .order_by("user__first_name", "user__username"),
        "assigned_ids": {a.membership_id for a in assignments},
        "is_manager": is_manager,
        "meters": job_meters(work_order),
        "job_readings": job_meter_readings(work_order),
        "can_assign": may(membership, "work.dispatch") and work_order.status in ASSIGNABLE_STATUSES,
        # For the offline page: the buttons each status would show, and the statuses' names.
        "moves_by_status": services.moves_by_status(work_order, membership),
        "status_labels": dict(Status.choices),
        "errors": {},
        "form": {},
        "now": timezone.now(),
        # Called by the template once per form: a fresh id makes a double submit store once.
        "new_id": uuid.uuid4,
    }


def _checklist(work_order: WorkOrder) -> list[dict]:
    """Each item as the API shows it, with the follow-up its latest (failed) answer opened."""
    items = list(work_order.checklist.prefetch_related("answers", "photos"))
    latest = {item.pk: answers[-1] for item in items if (answers := list(item.answers.all()))}
    failed = [answer.pk for answer in latest.values() if answer.is_failure]
    follow_ups = (
        {
            follow_up.found_by_id: follow_up
            for follow_up in WorkOrder.objects.filter(found_by__in=failed).only(
                "number", "found_by"
            )
        }
        if failed
        else {}
    )
    return [
        checklist_out(item)
        | {
            "item": item,
            "follow_up": follow_ups.get(latest[item.pk].pk) if item.pk in latest else None,
        }
        for item in items
    ]


@login_required
def work_order_detail(request: HttpRequest, number: str) -> HttpResponse:
    work_order = work_order_get_for_member(_membership(request), number)
    context = detail_context(request, work_order, reload=False)
    return render(request, "workorders/detail.html", context)


def _act(
    request: HttpRequest, number: str, run: Callable[[Membership, WorkOrder], str | None]
) -> HttpResponse:
    membership = _membership(request)
    work_order = work_order_get_for_member(membership, number)
    try:
        done = run(membership, work_order)
    except VersionConflict:
        messages.warning(
            request,
            "Someone changed this work order meanwhile. Here is the "
            "latest; check it and try again.",
        )
        return redirect("workorders:detail", number=work_order.reference)
    except DomainError as exc:
        context = detail_context(request, work_order)
        context.update(
            errors=exc.details or {"__all__": exc.message},
            error_message=exc.message,
            error_code=exc.code,
            form=request.POST,
            # The technicians ticked on the assign form stay ticked after a refusal.
            chosen=request.POST.getlist("technician"),
        )
        return render(request, "workorders/detail.html", context, status=exc.status)
    if done:
        messages.success(request, done)
    anchor = request.POST.get("next_anchor", "")
    url = redirect("workorders:detail", number=work_order.reference).url
    return redirect(f"{url}#{anchor}" if ANCHOR.fullmatch(anchor) else url)


def _device_time(request: HttpRequest, field: str = "occurred_at") -> datetime | None:
    raw = request.POST.get(field, "").strip()
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise DomainError("That time could not be read.", details={field: "Invalid time."})
    return parsed


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def transition(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        moved = services.work_order_transition(
            membership=membership,
            work_order=work_order,
            to_status=request.POST.get("to", ""),
            expected_version=_version(request),
            source=ChangeSource.WEB,
            device_time=_device_time(request),
            reason=request.POST.get("reason", ""),
            resolution=services.Resolution(
                resolution_notes=request.POST.get("resolution_notes", ""),
                failure_code=request.POST.get("failure_code", ""),
                cause=request.POST.get("cause", ""),
                remedy=request.POST.get("remedy", ""),
            ),
        )
        said = f"{moved.reference} is now {moved.get_status_display().lower()}."
        clock = moved.time_entries.filter(technician=membership, ended_at__isnull=True).first()
        return (
            f"{said} Your {clock.get_kind_display().lower()} timer is running." if clock else said
        )

    return _act(request, number, run)


@login_required
@require_POST
def assign(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        ids = []
        for raw in request.POST.getlist("technician"):
            try:
                ids.append(UUID(raw))
            except ValueError:
                raise DomainError(
                    "Choose technicians from the list.",
                    details={"technician": "Unknown technician."},
                ) from None
        try:
            services.work_order_assign(
                membership=membership,
                work_order=work_order,
                technician_ids=ids,
                expected_version=_version(request),
                override=request.POST.get("override") == "1",
                override_reason=request.POST.get("override_reason", ""),
            )
        except services.OverrideRequired as exc:
            # Shown next to the override field, which the page now offers.
            raise services.OverrideRequired(
                "This assignment breaks a skill or shift rule; see Assign.",
                details={"override": exc.message},
            ) from exc
        return "Assignment saved; the technicians see it now."

    return _act(request, number, run)


@login_required
@require_POST
def note_add(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        services.note_add(
            membership=membership,
            work_order=work_order,
            text=request.POST.get("text", ""),
            client_id=_client_id(request),
        )
        return "Note added."

    return _act(request, number, run)


@login_required
@require_POST
def time_start(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        kind = request.POST.get("kind", TimeKind.WORK)
        services.time_entry_add(
            membership=membership,
            work_order=work_order,
            kind=kind,
            started_at=timezone.now(),
            client_id=_client_id(request),
        )
        return f"{TimeKind(kind).label if kind in TimeKind.values else 'Time'} timer started."

    return _act(request, number, run)


@login_required
@require_POST
def time_stop(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        entry = work_order.time_entries.filter(technician=membership, ended_at__isnull=True).first()
        if entry is None:
            require_unlocked(work_order)  # on done work, say so rather than "nothing ran"
            return "No timer was running."
        entry = services.time_entry_stop(membership=membership, entry=entry)
        return f"Timer stopped: {entry.minutes} min of {entry.get_kind_display().lower()}."

    return _act(request, number, run)


@login_required
@require_POST
def time_log(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        raw_minutes = request.POST.get("minutes", "").strip()
        kind = request.POST.get("kind", "")
        errors = {}
        if kind not in TimeKind.values:
            errors["kind"] = "Choose what the time was spent on."
        if not raw_minutes.isdigit():
            errors["minutes"] = "Enter the minutes as a whole number."
        if errors:
            raise ValidationFailed(
                "Say what the time was spent on and for how long.", details=errors
            )
        minutes = int(raw_minutes)
        started = _device_time(request, "started_at") or timezone.now() - timezone.timedelta(
            minutes=minutes
        )
        services.time_entry_add(
            membership=membership,
            work_order=work_order,
            kind=kind,
            started_at=started,
            minutes=minutes,
            client_id=_client_id(request),
        )
        return f"{minutes} min logged."

    return _act(request, number, run)


@login_required
@require_POST
def part_use(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        part_id = request.POST.get("part", "")
        try:
            part_uuid = UUID(part_id)
        except ValueError:
            raise DomainError("Choose a part.", details={"part_id": "Choose a part."}) from None
        usage, _ = services.part_use(
            membership=membership,
            work_order=work_order,
            part_id=part_uuid,
            quantity=request.POST.get("quantity", ""),
            stock_location=request.POST.get("stock_location", ""),
            client_id=_client_id(request),
        )
        return f"{usage.quantity.normalize()} x {usage.part.name} recorded."

    return _act(request, number, run)


@login_required
@require_POST
def checklist_answer(request: HttpRequest, number: str, item_id: UUID) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> None:
        raw_value = request.POST.get("value", "").strip().replace(",", ".")
        value = None
        if raw_value:
            try:
                value = float(raw_value)
            except ValueError:
                raise DomainError(
                    "Enter a number.", details={f"item-{item_id}": "Enter a number."}
                ) from None
        services.checklist_answer(
            membership=membership,
            work_order=work_order,
            item_id=item_id,
            result=request.POST.get("result", ""),
            value=value,
            text=request.POST.get("text", ""),
            client_id=_client_id(request),
        )
        photo = request.FILES.get("photo")
        if photo is not None:
            services.attachment_add(
                membership=membership,
                work_order=work_order,
                upload=check_upload(photo, field="photo", images_only=True),
                checklist_item_id=item_id,
            )
        return

    return _act(request, number, run)


@login_required
@require_POST
def follow_up(request: HttpRequest, number: str, item_id: UUID) -> HttpResponse:
    membership = _membership(request)
    work_order = work_order_get_for_member(membership, number)
    try:
        follow_up, created = services.follow_up_create(
            membership=membership, work_order=work_order, item_id=item_id
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workorders:detail", number=work_order.reference)
    if created:
        messages.success(request, f"Follow-up {follow_up.reference} opened for the failed check.")
    else:
        messages.info(request, f"Follow-up {follow_up.reference} is already open for this check.")
    return redirect("workorders:detail", number=work_order.reference)


@login_required
@require_POST
def attachment_add(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        upload = check_upload(request.FILES.get("file"), field="file")
        services.attachment_add(
            membership=membership,
            work_order=work_order,
            upload=upload,
            caption=request.POST.get("caption", ""),
            client_id=_client_id(request),
        )
        return "Photo added." if upload.is_image else "File added."

    return _act(request, number, run)


@login_required
@require_POST
def signature_add(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        if "image" not in request.FILES:
            raise ValidationFailed(
                "Ask the customer to sign in the box first.",
                details={"image": "Sign in the box first."},
            )
        image = check_upload(request.FILES.get("image"), field="image", images_only=True)
        signature, _ = services.signature_add(
            membership=membership,
            work_order=work_order,
            signer_name=request.POST.get("signer_name", ""),
            image=image,
            client_id=_client_id(request),
        )
        return f"Signed by {signature.signer_name}."

    return _act(request, number, run)


def _client_id(request: HttpRequest) -> UUID | None:
    """Forms carry a fresh id, so a double tap or a resubmitted form stores once."""
    raw = request.POST.get("client_id", "")
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None
