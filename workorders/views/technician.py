"""The technician's phone: today's work, what is overdue and what comes next."""

from datetime import timedelta
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.vary import vary_on_headers

from fieldops.accounts.models import Membership
from fieldops.time import zone_of
from workorders.models import UNDER_WAY_STATUSES
from workorders.selectors import JobCard, technician_open_jobs
from workorders.services.sla import sla_state

# Rendered cards kept per process. A card is a pure function of its key (every value it shows,
# its SLA badge, the time zone its dates are shown in and the URL prefix of its link), so an
# entry never goes stale: a changed job is a new key and the old entry ages out. About 2 KB an
# entry (key and HTML), so ~20 MB at most: 50 technicians' 200 cards each per process.
CARD_CACHE_SIZE = 10_000


@lru_cache(maxsize=CARD_CACHE_SIZE)
def job_card_html(job: JobCard, sla: str, time_zone: str, script_prefix: str) -> SafeString:
    """One card of the list. Rendering ~200 cards was most of the page's time; a technician's
    list barely changes between refreshes, so only new or changed cards are rendered again."""
    return render_to_string("workorders/technician/my_work.html#card", {"wo": job, "sla": sla})


def _my_work(membership: Membership) -> dict:
    now = timezone.localtime(timezone.now(), zone_of(membership))  # the day ends at its midnight
    end_of_day = now.replace(hour=23, minute=59, second=59)
    jobs = technician_open_jobs(membership)
    time_zone, script_prefix = timezone.get_current_timezone_name(), get_script_prefix()
    sections: dict[str, list[str]] = {"overdue": [], "today": [], "upcoming": []}
    for job in jobs:
        sla = sla_state(job, now=now)  # type: ignore[arg-type]  # a JobCard has what it reads
        when = job.scheduled_start or job.due_at
        if sla == "overdue":
            section = "overdue"
        elif job.status in UNDER_WAY_STATUSES or when is None or when <= end_of_day:
            section = "today"
        else:
            section = "upcoming"
        sections[section].append(job_card_html(job, sla, time_zone, script_prefix))
    return {
        "sections": [
            (key, label, len(sections[key]), mark_safe("".join(sections[key])))  # noqa: S308 - rendered templates
            for key, label in (("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Upcoming"))
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
