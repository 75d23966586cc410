"""Meter readings from the job page: the job's asset's meters, read and saved with the job."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fieldops.errors import DomainError
from fieldops.inputs import form_data, page_input
from workorders import services
from workorders.schemas import JobReadingIn
from workorders.selectors import work_order_get_for_member
from workorders.views.detail import _membership, detail_context

# The job page's reading form names, where they differ from JobReadingIn's.
READING_FORM_NAMES = {"meter": "meter_id", "client_id": "id"}


@login_required
@require_POST
def reading_add(request: HttpRequest, number: str) -> HttpResponse:
    membership = _membership(request)
    work_order = work_order_get_for_member(membership, number)
    try:
        payload = page_input(request, JobReadingIn, names=READING_FORM_NAMES)
        reading, _ = services.work_order_reading_record(
            membership=membership,
            work_order=work_order,
            meter_id=payload.meter_id,
            value=payload.value,
            note=payload.note,
            client_id=payload.id,
            unusual_confirmed=payload.confirm_unusual,
        )
    except DomainError as exc:
        fields = exc.details.get("fields") or {}
        context = detail_context(request, work_order)
        meter = str(
            form_data(request.POST, JobReadingIn, names=READING_FORM_NAMES).get("meter_id", "")
        )
        context.update(
            error_message=exc.message,
            form=request.POST,
            reading_meter=meter,
            # Not one of the forms' meters (none chosen, or another asset's): said above them.
            reading_elsewhere=meter not in {str(m.public_id) for m in context.get("meters") or ()},
            reading_error=" ".join(str(v) for v in fields.values()) or exc.message,
            reading_unusual=bool(exc.details.get("unusual")),
        )
        return render(request, "workorders/detail.html", context, status=exc.status)
    meter = reading.meter
    messages.success(request, f"Recorded {reading.value:g} {meter.unit} on {meter.name}.")
    url = redirect("workorders:detail", number=work_order.reference).url
    return redirect(f"{url}#readings")
