"""Reported problems: the no-login QR form a passer-by fills in on their phone, the status page
they follow it on, and the dispatcher's triage page that approves or rejects."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from assets.models import Asset
from fieldops.accounts.permissions import require
from fieldops.errors import (
    DomainError,
    NotFound,
    RateLimitExceeded,
    ValidationFailed,
)
from fieldops.inputs import field_problems, form_data, page_input
from fieldops.pagination import cursor_paginate
from fieldops.uploads import CheckedUpload, check_upload, upload_unstash
from workorders import services
from workorders.models import Priority, Request, RequestStatus
from workorders.schemas import ApproveIn, QrReportIn, RejectIn
from workorders.selectors import request_get_for_member, requests_for
from workorders.services.requests import MIN_FILL_SECONDS

FORM_FIELDS = ("description", "reporter_name", "reporter_contact")
HONEYPOT = "website"
TRIAGE_PAGE_SIZE = 25
# What the service's spam verdicts mean to the person in front of the form.
FORM_PROBLEMS = {
    "spam": "We could not accept this report. Please check it and send it again.",
    "expired": "This form was open too long. Check your text and send it again.",
}


def _form_context(
    asset: Asset,
    form: dict[str, str],
    errors: dict[str, str],
    *,
    form_token: str = "",
    kept_photo: tuple[str, str] = ("", ""),
    photo_dropped: bool = False,
) -> dict:
    """``kept_photo`` is the stash token and the file name of a photo held for the next submit;
    ``form_token`` the one the form was opened with, so a wait runs from the opening."""
    form_token = form_token or services.request_form_token()
    return {
        "asset": asset,
        "form": form,
        "errors": errors,
        "too_soon": errors.get("form") == "too_soon",
        "min_fill_seconds": MIN_FILL_SECONDS,
        "form_problem": FORM_PROBLEMS.get(errors.get("form", ""), errors.get("form", "")),
        "form_token": form_token,
        "wait_ms": round(services.request_form_wait_seconds(form_token) * 1000),
        "photo_kept": kept_photo[0],
        "photo_kept_name": kept_photo[1],
        "photo_dropped": photo_dropped,
        "honeypot": HONEYPOT,
    }


def _chosen_photo(request: HttpRequest, kept: str) -> CheckedUpload | None:
    """The photo chosen now, else the one kept from a refused submit (None if forged or gone)."""
    photo_file = request.FILES.get("photo")
    if photo_file:
        return check_upload(photo_file, field="photo", images_only=True)
    return upload_unstash(kept) if kept else None


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest, asset_id: UUID) -> HttpResponse:
    """The page an asset's QR label leads a passer-by to: no account needed."""
    asset = Asset.objects.select_related("location").filter(public_id=asset_id).first()
    if asset is None:
        return render(request, "assets/not_found.html", {"qr_label": True}, status=404)
    form = dict.fromkeys(FORM_FIELDS, "")
    membership = getattr(request, "membership", None)
    is_staff = membership is not None and membership.organization_id == asset.organization_id
    if request.method == "GET" and is_staff:
        # The label serves both: staff who scan it land on the asset page itself.
        return redirect("assets:detail", asset.public_id)
    if request.method == "GET":
        return render(request, "workorders/requests/form.html", _form_context(asset, form, {}))
    report = page_input(request, QrReportIn, names={HONEYPOT: "honeypot"})
    form = {name: getattr(report, name) for name in FORM_FIELDS}
    photo = None
    try:
        photo = _chosen_photo(request, report.photo_kept)
        submitted = services.request_submit_anonymous(
            asset=asset,
            photo=photo,
            client_address=request.META.get("REMOTE_ADDR", ""),
            form_token=report.form_token,
            honeypot=report.honeypot,
            **form,
        )
    except RateLimitExceeded as exc:
        response = render(
            request,
            "workorders/requests/rate_limited.html",
            {"asset": asset, "retry_minutes": max(1, round(exc.retry_after / 60))},
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ValidationFailed as exc:
        return _form_refused(request, asset, report, exc, photo)
    return redirect("workorders:request-thanks", token=submitted.status_token)


def _form_refused(
    request: HttpRequest,
    asset: Asset,
    report: QrReportIn,
    exc: ValidationFailed,
    photo: CheckedUpload | None,
) -> HttpResponse:
    errors = {field: str(problem) for field, problem in exc.details.items()}
    if not errors:
        errors["form"] = exc.message
    kept_token = ""
    if photo is not None and "photo" not in request.FILES:
        kept_token = report.photo_kept  # already kept: the same token again
    elif photo is not None:
        address = request.META.get("REMOTE_ADDR", "")
        kept_token = services.request_photo_keep(photo=photo, client_address=address)
    expired = errors.get("form") == "expired"
    context = _form_context(
        asset,
        {name: getattr(report, name) for name in FORM_FIELDS},
        errors,
        form_token="" if expired else report.form_token,
        kept_photo=(kept_token, photo.name if kept_token and photo else ""),
        photo_dropped=photo is not None and not kept_token,
    )
    return render(request, "workorders/requests/form.html", context, status=422)


def request_thanks(request: HttpRequest, token: str) -> HttpResponse:
    submitted = get_object_or_404(Request.objects.select_related("asset"), status_token=token)
    return render(request, "workorders/requests/thanks.html", {"submitted": submitted})


def request_status(request: HttpRequest, token: str) -> HttpResponse:
    """The requester's view: waiting, approved (with the work order's number) or rejected with
    the reason. The unguessable token is the only key; nothing else of the organisation shows."""
    submitted = get_object_or_404(
        Request.objects.select_related("asset", "work_order"), status_token=token
    )
    response = render(request, "workorders/requests/status.html", {"submitted": submitted})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- The dispatcher's triage -----------------------------------------------------------------


def _triage(
    request: HttpRequest,
    *,
    refused: Request | None = None,
    problems: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    organization_id = request.membership.organization_id
    new = requests_for(organization_id).filter(status=RequestStatus.NEW)
    page = cursor_paginate(
        new, cursor=request.GET.get("cursor") or None, limit=TRIAGE_PAGE_SIZE, keys=("-id",)
    )
    rows = []
    for item in page.items:
        mine = refused is not None and item.pk == refused.pk
        rows.append(
            {
                "request": item,
                "errors": problems if mine else {},
                "typed": typed if mine else {},
            }
        )
    shown = refused is not None and any(row["errors"] for row in rows)
    decided = requests_for(organization_id).exclude(status=RequestStatus.NEW)
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor,
        "first_page": not request.GET.get("cursor"),
        "decided": list(decided.order_by("-decided_at", "-id")[:10]),
        "priorities": Priority.choices,
        "default_priority": Priority.MEDIUM,
        "top_error": (problems or {}).get("form", "") if refused and not shown else "",
    }
    return render(request, "workorders/requests/triage.html", context, status=status)


@login_required
def request_triage(request: HttpRequest) -> HttpResponse:
    require(request.membership, "requests.triage")
    return _triage(request)


def _work_order_url(reference: str) -> str:
    try:
        return reverse("workorders:detail", args=[reference])
    except NoReverseMatch:  # the office pages are wired separately; the path is fixed
        return f"/work-orders/{reference}/"


@login_required
@require_POST
def request_approve(request: HttpRequest, request_id: UUID) -> HttpResponse:
    require(request.membership, "requests.triage")
    found = request_get_for_member(request.membership, request_id)
    typed = form_data(request.POST, ApproveIn)
    try:
        payload = page_input(request, ApproveIn)
        work_order = services.request_approve(
            membership=request.membership,
            request=found,
            priority=payload.priority,
            title=payload.title,
            work_type=payload.work_type,
        )
    except ValidationFailed as exc:
        return _refused(request, found, exc, typed)
    messages.success(request, f"Approved as {work_order.reference}.")
    return redirect(_work_order_url(work_order.reference))


@login_required
@require_POST
def request_reject(request: HttpRequest, request_id: UUID) -> HttpResponse:
    require(request.membership, "requests.triage")
    found = request_get_for_member(request.membership, request_id)
    typed = form_data(request.POST, RejectIn)
    try:
        payload = page_input(request, RejectIn)
        services.request_reject(membership=request.membership, request=found, reason=payload.reason)
    except ValidationFailed as exc:
        return _refused(request, found, exc, typed)
    messages.success(request, "Request rejected; the requester sees your reason.")
    return redirect("workorders:requests")


def _refused(
    request: HttpRequest, found: Request, exc: DomainError, typed: dict[str, str]
) -> HttpResponse:
    problems = field_problems(exc.details)
    if "status" in problems or not problems:  # e.g. decided meanwhile by someone else
        problems = {"form": exc.message}
    return _triage(request, refused=found, problems=problems, typed=typed, status=exc.status)


@login_required
def request_photo(request: HttpRequest, request_id: UUID) -> FileResponse:
    if request.membership is None:
        raise NotFound()
    found = request_get_for_member(request.membership, request_id)
    if not found.photo:
        raise NotFound()
    response = FileResponse(found.photo.open("rb"), content_type=found.photo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
