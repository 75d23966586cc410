"""The office edits a work order's details on its page (the same change as the API's PATCH)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fieldops.errors import DomainError, ValidationFailed, VersionConflict
from workorders import services
from workorders.models import ChangeSource
from workorders.selectors import work_order_get_for_member
from workorders.views.detail import _membership, detail_context
from workorders.views.edit_form import (
    changed_fields,
    conflict_notes,
    edit_values,
    form_version,
    page_errors,
    parse_changes,
    shown_values,
    typed_values,
)


@login_required
@require_POST
def work_order_edit(request: HttpRequest, number: str) -> HttpResponse:
    membership = _membership(request)
    work_order = work_order_get_for_member(membership, number)
    try:
        version, changes = parse_changes(request.POST, work_order)
        if changes:
            services.work_order_update(
                membership=membership,
                work_order=work_order,
                expected_version=version,
                changes=changes,
                source=ChangeSource.WEB,
            )
    except VersionConflict:
        return _conflict(request, number)
    except DomainError as exc:
        context = detail_context(request, work_order)
        was = shown_values(request.POST)
        said = exc.message if exc.message != ValidationFailed.default_message else ""
        context.update(
            error_message=said or "The details were not saved yet: check the marked fields.",
            edit_open=True,
            edit_form=was | typed_values(request.POST),
            edit_was=was,
            edit_version=form_version(request.POST),
            edit_errors=page_errors(exc.details),
        )
        return render(request, "workorders/detail.html", context, status=exc.status)
    messages.success(request, "Details saved." if changes else "Nothing was changed.")
    return redirect("workorders:detail", number=work_order.reference)


def _conflict(request: HttpRequest, number: str) -> HttpResponse:
    """The latest record, with what this person changed still typed in over it."""
    latest = work_order_get_for_member(_membership(request), number)
    context = detail_context(request, latest, reload=False)
    now = edit_values(latest)
    shown = shown_values(request.POST, now)
    context.update(
        error_message="Someone else changed this work order while you were editing it.",
        edit_open=True,
        edit_form=now | changed_fields(request.POST),
        edit_was=now,
        edit_version=latest.version,
        edit_conflict=conflict_notes(shown, now),
    )
    return render(request, "workorders/detail.html", context, status=409)
