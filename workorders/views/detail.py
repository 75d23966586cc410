"""The work-order page every role shares, and the actions its buttons and forms post to.

Each action parses the form, calls one service and redirects back (post/redirect/get). A refused
action re-renders the page with the reason next to the field and the typed text kept."""

import re
import uuid
from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fieldops.accounts.models import Membership, Role
from fieldops.accounts.permissions import may
from fieldops.errors import DomainError, ValidationFailed, VersionConflict
from fieldops.inputs import field_problems, page_input, typed_back
from fieldops.uploads import check_upload
from workorders import services
from workorders.lifecycle import (
    ACTION_LABELS,
    ASSIGNABLE_STATUSES,
    SIGNABLE_STATUSES,
    STARTABLE_STATUSES,
)
from workorders.models import ChangeSource, Part, Status, TimeKind, WorkOrder
from workorders.schemas import (
    AnswerIn,
    AssignIn,
    AttachmentIn,
    EntryStopIn,
    FollowUpIn,
    NoteIn,
    PartUseIn,
    ReturnTo,
    SignatureIn,
    TimeEntryIn,
    TransitionIn,
)
from workorders.selectors import job_meter_readings, job_meters, work_order_get_for_member
from workorders.serializers import checklist_out
from workorders.services.completion import FAILURE_ANALYSIS_TYPES
from workorders.services.locking import is_locked, reopen_hint
from workorders.services.sla import sla_state
from workorders.views.edit_form import edit_context

# Page forms carry their fresh record id as "client_id" (the schemas' "id").
CLIENT_ID = {"client_id": "id"}


def _review(work_order: WorkOrder) -> dict:
    """What the signing step shows: the report's fingerprint as the customer reads it (the
    signature is refused if it changed meanwhile), and whether this report is already signed."""
    if not work_order.is_signable:
        return {}
    current = services.report_sha256(work_order)
    return {
        "review_sha256": current,
        "report_signed": any(s.report_sha256 == current for s in work_order.signatures.all()),
        "review_minutes": sum(t.minutes or 0 for t in work_order.time_entries.all()),
    }


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
        **_review(work_order),
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
        "signable_statuses": list(SIGNABLE_STATUSES),
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
    request: HttpRequest,
    number: str,
    run: Callable[[Membership, WorkOrder], str | None],
    *,
    item_id: UUID | None = None,
) -> HttpResponse:
    """Run one action; a refusal re-renders the page with each problem next to its field (for
    a checklist item, ``item_id`` says which) and what was typed kept."""
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
            errors=field_problems(exc.details) or {"__all__": exc.message},
            error_message=exc.message,
            error_code=exc.code,
            error_item=item_id,
            form=request.POST,
            # The technicians ticked on the assign form stay ticked after a refusal.
            chosen=typed_back(request, "technician"),
        )
        return render(request, "workorders/detail.html", context, status=exc.status)
    if done:
        messages.success(request, done)
    anchor = page_input(request, ReturnTo).next_anchor
    url = redirect("workorders:detail", number=work_order.reference).url
    return redirect(f"{url}#{anchor}" if ANCHOR.fullmatch(anchor) else url)


@login_required
@require_POST
def transition(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        payload = page_input(request, TransitionIn)
        moved = services.work_order_transition(
            membership=membership,
            work_order=work_order,
            to_status=payload.to,
            expected_version=payload.version,
            source=ChangeSource.WEB,
            device_time=payload.occurred_at,
            reason=payload.reason,
            resolution=services.Resolution(
                resolution_notes=payload.resolution_notes,
                failure_code=payload.failure_code,
                cause=payload.cause,
                remedy=payload.remedy,
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
        payload = page_input(request, AssignIn, names={"technician": "technician_ids"})
        try:
            services.work_order_assign(
                membership=membership,
                work_order=work_order,
                technician_ids=payload.technician_ids,
                expected_version=payload.version,
                override=payload.override,
                override_reason=payload.override_reason,
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
        payload = page_input(request, NoteIn, names=CLIENT_ID)
        services.note_add(
            membership=membership,
            work_order=work_order,
            text=payload.text,
            client_id=payload.id,
            device_time=payload.occurred_at,
        )
        return "Note added."

    return _act(request, number, run)


def _time_add(membership: Membership, work_order: WorkOrder, payload: TimeEntryIn):
    entry, _ = services.time_entry_add(
        membership=membership,
        work_order=work_order,
        kind=payload.kind,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        minutes=payload.minutes,
        client_id=payload.id,
    )
    return entry


@login_required
@require_POST
def time_start(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        entry = _time_add(membership, work_order, page_input(request, TimeEntryIn, names=CLIENT_ID))
        return f"{entry.get_kind_display()} timer started."

    return _act(request, number, run)


@login_required
@require_POST
def time_stop(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        payload = page_input(request, EntryStopIn)
        entry = services.time_entry_stop(
            membership=membership,
            entry=services.time_entry_for_stop(work_order, payload.entry_id),
            device_time=payload.occurred_at,
        )
        return f"Timer stopped: {entry.minutes} min of {entry.get_kind_display().lower()}."

    return _act(request, number, run)


@login_required
@require_POST
def time_log(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        entry = _time_add(membership, work_order, page_input(request, TimeEntryIn, names=CLIENT_ID))
        return f"{entry.minutes} min logged."

    return _act(request, number, run)


@login_required
@require_POST
def part_use(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        payload = page_input(request, PartUseIn, names={"part": "part_id", **CLIENT_ID})
        usage, _ = services.part_use(
            membership=membership,
            work_order=work_order,
            part_id=payload.part_id,
            part_code=payload.part_code,
            quantity=payload.quantity,
            stock_location=payload.stock_location,
            client_id=payload.id,
            device_time=payload.occurred_at,
        )
        return f"{usage.quantity.normalize()} x {usage.part.name} recorded."

    return _act(request, number, run)


@login_required
@require_POST
def checklist_answer(request: HttpRequest, number: str, item_id: UUID) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> None:
        payload = page_input(request, AnswerIn, names=CLIENT_ID)
        services.checklist_answer(
            membership=membership,
            work_order=work_order,
            item_id=item_id,
            result=payload.result,
            value=payload.value,
            text=payload.text,
            client_id=payload.id,
            device_time=payload.occurred_at,
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

    return _act(request, number, run, item_id=item_id)


@login_required
@require_POST
def follow_up(request: HttpRequest, number: str, item_id: UUID) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        payload = page_input(request, FollowUpIn, names=CLIENT_ID)
        follow_up, created = services.follow_up_create(
            membership=membership,
            work_order=work_order,
            item_id=item_id,
            priority=payload.priority,
            client_id=payload.id,
        )
        if created:
            return f"Follow-up {follow_up.reference} opened for the failed check."
        return f"Follow-up {follow_up.reference} is already open for this check."

    return _act(request, number, run, item_id=item_id)


@login_required
@require_POST
def attachment_add(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        payload = page_input(request, AttachmentIn, names=CLIENT_ID)
        upload = check_upload(request.FILES.get("file"), field="file")
        services.attachment_add(
            membership=membership,
            work_order=work_order,
            upload=upload,
            caption=payload.caption,
            checklist_item_id=payload.checklist_item_id,
            client_id=payload.id,
            device_time=payload.occurred_at,
        )
        return "Photo added." if upload.is_image else "File added."

    return _act(request, number, run)


@login_required
@require_POST
def signature_add(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        payload = page_input(request, SignatureIn, names=CLIENT_ID)
        if "image" not in request.FILES:
            raise ValidationFailed(
                "Ask the customer to sign in the box first.",
                details={"image": "Sign in the box first."},
            )
        image = check_upload(request.FILES.get("image"), field="image", images_only=True)
        signature, _ = services.signature_add(
            membership=membership,
            work_order=work_order,
            signer_name=payload.signer_name,
            reviewed_sha256=payload.reviewed_sha256,
            image=image,
            client_id=payload.id,
            device_time=payload.occurred_at,
        )
        return f"Signed by {signature.signer_name}."

    return _act(request, number, run)
