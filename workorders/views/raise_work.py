"""New work found on a job: the technician reports it from the job page as a request, which the
dispatchers triage like any other (approve into its own work order, or reject with a reason)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from fieldops.accounts.models import Membership
from fieldops.errors import ValidationFailed
from fieldops.inputs import field_problems, page_input
from fieldops.uploads import check_upload
from workorders import services
from workorders.models import WorkOrder
from workorders.schemas import RequestIn
from workorders.views.detail import _act

# The page has a "description" of its own (the edit form): this form's fields are named apart.
PAGE_NAMES = {"description": "problem", "photo": "problem_photo"}


@login_required
@require_POST
def job_request(request: HttpRequest, number: str) -> HttpResponse:
    def run(membership: Membership, work_order: WorkOrder) -> str:
        upload = request.FILES.get("problem_photo")
        try:
            payload = page_input(request, RequestIn, names={"problem": "description"})
            services.request_submit(
                membership=membership,
                description=payload.description,
                asset=work_order.asset,
                photo=check_upload(upload, field="photo", images_only=True) if upload else None,
            )
        except ValidationFailed as exc:
            problems = field_problems(exc.details)
            details = {PAGE_NAMES.get(k, k): v for k, v in problems.items()}
            raise ValidationFailed("The problem was not sent yet.", details=details) from None
        return "Sent to the dispatchers: they plan it as its own job."

    return _act(request, number, run)
