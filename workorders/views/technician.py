"""The technician's phone: today's work, what is overdue and what comes next."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from workorders.models import OPEN_STATUSES
from workorders.selectors import work_orders_for
from workorders.services.sla import sla_state


def _my_work(membership) -> dict:
    now = timezone.localtime()
    end_of_day = now.replace(hour=23, minute=59, second=59)
    jobs = list(
        work_orders_for(membership.organization_id)
        .filter(assignments__membership=membership, status__in=OPEN_STATUSES)
        .order_by("scheduled_start", "due_at", "id")[:200]
    )
    sections = {"overdue": [], "today": [], "upcoming": []}
    for job in jobs:
        job.sla = sla_state(job, now=now)
        when = job.scheduled_start or job.due_at
        if job.sla == "overdue":
            sections["overdue"].append(job)
        elif (
            job.status in ("en_route", "in_progress", "on_hold")
            or when is None
            or (when <= end_of_day)
        ):
            sections["today"].append(job)
        else:
            sections["upcoming"].append(job)
    return {
        "sections": [
            ("overdue", "Overdue", sections["overdue"]),
            ("today", "Today", sections["today"]),
            ("upcoming", "Upcoming", sections["upcoming"]),
        ],
        "count": len(jobs),
        "week_ahead": now + timedelta(days=7),
    }


@login_required
@vary_on_headers("HX-Request")
def my_work(request: HttpRequest) -> HttpResponse:
    if request.membership is None:
        return redirect("no-organization")
    context = _my_work(request.membership)
    if request.htmx:
        return render(request, "workorders/technician/my_work.html#jobs", context)
    return render(request, "workorders/technician/my_work.html", context)
