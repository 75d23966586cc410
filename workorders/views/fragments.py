"""Work-order fragments that pages of lower apps load with htmx: the asset registry never imports
work orders, so its asset page asks this app for the "open and past work" list."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from assets.models import Asset
from fieldops.errors import NotFound
from fieldops.tenancy import get_for_organization
from workorders.models import OPEN_STATUSES, RequestStatus
from workorders.selectors import requests_for, work_orders_for
from workorders.services.sla import sla_state

OPEN_SHOWN = 20
PAST_SHOWN = 10


@login_required
@vary_on_headers("HX-Request")
def asset_work(request: HttpRequest, asset_id: UUID) -> HttpResponse:
    """Open work (soonest due first) and the latest finished work of one asset."""
    if request.membership is None:
        raise NotFound()
    organization_id = request.membership.organization_id
    asset = get_for_organization(
        Asset.objects.all(), organization_id=organization_id, public_id=asset_id
    )
    of_asset = work_orders_for(organization_id).filter(asset=asset)
    open_work = list(
        of_asset.filter(status__in=OPEN_STATUSES).order_by("due_at", "id")[: OPEN_SHOWN + 1]
    )
    past_work = list(of_asset.exclude(status__in=OPEN_STATUSES).order_by("-id")[:PAST_SHOWN])
    now = timezone.now()
    for work_order in open_work:
        work_order.sla = sla_state(work_order, now=now)
    context = {
        "asset": asset,
        "open_work": open_work[:OPEN_SHOWN],
        "more_open": len(open_work) > OPEN_SHOWN,
        "past_work": past_work,
        "new_requests": requests_for(organization_id)
        .filter(asset=asset, status=RequestStatus.NEW)
        .count(),
    }
    if request.htmx:
        return render(request, "workorders/_asset_work.html", context)
    return render(request, "workorders/asset_work.html", context)
