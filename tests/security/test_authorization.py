"""The authorisation matrix: every API operation (from the OpenAPI) and every page (from the URL
conf), requested by each role, by an admin of another organisation and anonymously, must give
the answer its rule says. A route without a rule fails: add one when you add a route.

Answers are classified by ``authz.classify``: ``ok`` (let through: 2xx, or a refusal of the input
or a conflict *after* the access check), ``403``, ``404``, ``401``, ``login`` (a page redirecting
to sign in) or ``405``. Path parameters are real rows of the first organisation; the other
organisation's admin must get ``404`` for every one of them (never ``403``: nothing of another
tenant is confirmed to exist). Each request runs in a savepoint that is rolled back, so a write
by one actor never changes what the next one sees.
"""

from __future__ import annotations

import os
import time

import pytest
from django.db import transaction
from django.test import Client

from tests.security.authz import (
    api_routes,
    call_api,
    call_page,
    classify,
    fill_page,
    page_routes,
)

pytestmark = pytest.mark.django_db

ROLES = ("technician", "dispatcher", "supervisor", "admin")
ACTORS = (*ROLES, "other", "anonymous")

TIMES: dict[str, float] = {}
# Data for pages that need it to reach their row (query string on GET, form on POST); values are
# formatted with the world's parameters.
PAGE_DATA = {
    "assets/<uuid:asset_id>/status/": {"status": "down", "reason": "Seized"},
    "board/plan/": {"wo": "{ref}"},
    "dashboard/work/": {"figure": "backlog"},
    # Forms that read as their use case's schema does: valid input, so the role decides.
    "work-orders/<str:number>/assign/": {"technician": "{technician_id}", "version": "1"},
    "work-orders/<str:number>/time/start/": {"kind": "work"},
    "work-orders/<str:number>/time/stop/": {"entry_id": "{entry_id}"},
    "work-orders/<str:number>/time/log/": {"kind": "work", "minutes": "5"},
    "work-orders/<str:number>/parts/": {"part": "{part_id}", "quantity": "1"},
}

# The answers of technician, dispatcher, supervisor and admin of the organisation, then of another
# organisation's admin, then of an anonymous caller.
RULES_API: dict[str, tuple] = {
    "GET /api/v1/me": ("ok", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/tokens": ("ok", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/tokens": ("ok", "ok", "ok", "ok", "ok", "401"),
    "DELETE /api/v1/tokens/{token_id}": ("404", "404", "404", "ok", "404", "401"),
    "POST /api/v1/system/ping": ("403", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/locations": ("ok", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/locations": ("403", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/locations/{location_id}": ("ok", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/locations/{location_id}": ("403", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/assets": ("ok", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/assets": ("403", "ok", "ok", "ok", "422", "401"),
    "POST /api/v1/assets/import": ("403", "422", "422", "422", "422", "401"),
    "GET /api/v1/assets/{asset_id}": ("ok", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/assets/{asset_id}": ("403", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/assets/{asset_id}/status": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/assets/{asset_id}/status-history": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/meters": ("ok", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/meters": ("403", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/meters/{meter_id}": ("ok", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/meters/{meter_id}": ("403", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/meters/{meter_id}/chart": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/readings": ("ok", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/readings": ("422", "422", "422", "422", "404", "401"),
    "POST /api/v1/readings/batch": ("422", "422", "422", "422", "422", "401"),
    "POST /api/v1/readings/import": ("422", "422", "422", "422", "422", "401"),
    "POST /api/v1/work-orders": ("ok", "ok", "ok", "ok", "422", "401"),
    "GET /api/v1/work-orders": ("ok", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/work-orders/{ref}": ("ok", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/work-orders/{ref}": ("403", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/transition": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/assign": ("403", "ok", "403", "ok", "404", "401"),
    "GET /api/v1/work-orders/{ref}/history": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/work-orders/{ref}/notes": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/notes": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/work-orders/{ref}/readings": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/readings": ("422", "422", "422", "422", "404", "401"),
    "GET /api/v1/work-orders/{ref}/time-entries": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/time-entries": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/time-entries/{entry_id}/stop": (
        "ok",
        "ok",
        "ok",
        "ok",
        "404",
        "401",
    ),
    "GET /api/v1/work-orders/{ref}/parts": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/parts": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/work-orders/{ref}/checklist": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/checklist/{item_id}/answers": (
        "422",
        "422",
        "422",
        "422",
        "404",
        "401",
    ),
    "POST /api/v1/work-orders/{ref}/checklist/{item_id}/follow-up": (
        "422",
        "422",
        "422",
        "422",
        "404",
        "401",
    ),
    "GET /api/v1/work-orders/{ref}/attachments": ("ok", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/attachments": ("ok", "ok", "ok", "ok", "404", "401"),
    # The world's job is under way: the customer signs completed work (a refusal of the state).
    "POST /api/v1/work-orders/{ref}/signature": ("422", "422", "422", "422", "404", "401"),
    "GET /api/v1/work-orders/{ref}/report": ("ok", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/parts": ("ok", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/requests": ("ok", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/requests": ("422", "422", "422", "422", "422", "401"),
    "POST /api/v1/requests/{request_id}/approve": ("403", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/requests/{request_id}/reject": ("403", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/maintenance-plans": ("403", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/maintenance-plans": ("403", "403", "422", "422", "422", "401"),
    "GET /api/v1/maintenance-plans/forecast": ("403", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/maintenance-plans/{plan_id}": ("403", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/maintenance-plans/{plan_id}": ("403", "403", "ok", "ok", "404", "401"),
    "GET /api/v1/maintenance-plans/{plan_id}/occurrences": ("403", "ok", "ok", "ok", "404", "401"),
    "GET /api/v1/maintenance/compliance": ("403", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/condition-rules": ("403", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/condition-rules": ("403", "403", "422", "422", "422", "401"),
    "GET /api/v1/condition-rules/{rule_id}": ("403", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/condition-rules/{rule_id}": ("403", "403", "422", "422", "404", "401"),
    "GET /api/v1/technicians": ("403", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/work-orders/{ref}/suggestions": ("403", "ok", "ok", "ok", "404", "401"),
    "POST /api/v1/work-orders/{ref}/dispatch": ("403", "ok", "403", "ok", "404", "401"),
    # Plan the day: another organisation's admin plans their own day (ok), never sees ours.
    "POST /api/v1/day-plans": ("403", "ok", "403", "ok", "ok", "401"),
    "GET /api/v1/day-plans/{day_plan_id}": ("403", "ok", "ok", "ok", "404", "401"),
    # 422: the sampled technician has no lane in the (empty) plan.
    "POST /api/v1/day-plans/{day_plan_id}/accept": ("403", "422", "403", "422", "404", "401"),
    # 422: the sampled work order is not open work of the plan's day.
    "POST /api/v1/day-plans/{day_plan_id}/insert": ("403", "422", "403", "422", "404", "401"),
    # 422: the sampled technician has no lane in the (empty) plan.
    "POST /api/v1/day-plans/{day_plan_id}/late": ("403", "422", "403", "422", "404", "401"),
    "POST /api/v1/technicians/me/position": ("ok", "403", "403", "403", "403", "401"),
    "POST /api/v1/technicians/me/device": ("ok", "ok", "ok", "ok", "ok", "401"),
    "PUT /api/v1/technicians/{technician_id}/status": ("422", "422", "422", "422", "404", "401"),
    "POST /api/v1/sync/push": ("ok", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/sync/pull": ("ok", "ok", "ok", "ok", "ok", "401"),
    "GET /api/v1/kpis": ("403", "ok", "ok", "ok", "ok", "401"),
    # Without ?figure= (the walker sends no query): refused as input once the role is checked.
    "GET /api/v1/kpis/work-orders": ("403", "422", "422", "422", "422", "401"),
    "GET /api/v1/integrations/connections": ("403", "ok", "ok", "ok", "ok", "401"),
    "POST /api/v1/integrations/connections": ("403", "403", "403", "ok", "ok", "401"),
    "GET /api/v1/integrations/connections/{connection_id}": ("403", "ok", "ok", "ok", "404", "401"),
    "PATCH /api/v1/integrations/connections/{connection_id}": (
        "403",
        "403",
        "403",
        "ok",
        "404",
        "401",
    ),
    "DELETE /api/v1/integrations/connections/{connection_id}": (
        "403",
        "403",
        "403",
        "ok",
        "404",
        "401",
    ),
    "POST /api/v1/integrations/connections/{connection_id}/test": (
        "403",
        "403",
        "403",
        "ok",
        "404",
        "401",
    ),
    "POST /api/v1/integrations/connections/{connection_id}/sync": (
        "403",
        "403",
        "403",
        "ok",
        "404",
        "401",
    ),
    "GET /api/v1/integrations/connections/{connection_id}/sync": (
        "403",
        "ok",
        "ok",
        "ok",
        "404",
        "401",
    ),
    "GET /api/v1/integrations/connections/{connection_id}/runs": (
        "403",
        "ok",
        "ok",
        "ok",
        "404",
        "401",
    ),
    "GET /api/v1/integrations/connections/{connection_id}/{entity}": (
        "403",
        "ok",
        "ok",
        "ok",
        "404",
        "401",
    ),
    "GET /api/v1/integrations/connections/{connection_id}/{entity}/{remote_id}": (
        "403",
        "ok",
        "ok",
        "ok",
        "404",
        "401",
    ),
    "GET /api/v1/webhooks/endpoints": ("403", "403", "403", "ok", "ok", "401"),
    "POST /api/v1/webhooks/endpoints": ("403", "403", "403", "422", "422", "401"),
    "GET /api/v1/webhooks/endpoints/{endpoint_id}": ("403", "403", "403", "ok", "404", "401"),
    "PATCH /api/v1/webhooks/endpoints/{endpoint_id}": ("403", "403", "403", "ok", "404", "401"),
    "GET /api/v1/webhooks/deliveries": ("403", "403", "403", "ok", "ok", "401"),
    "GET /api/v1/webhooks/deliveries/{delivery_id}": ("403", "403", "403", "ok", "404", "401"),
    "POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver": (
        "403",
        "403",
        "403",
        "ok",
        "404",
        "401",
    ),
    "POST /api/v1/webhooks/flows": ("403", "403", "403", "422", "404", "401"),
    "POST /api/v1/webhooks/flows/{flow_id}/test": ("403", "403", "403", "ok", "404", "401"),
    "GET /api/v1/webhooks/flows/{flow_id}/runs": ("403", "403", "403", "ok", "404", "401"),
}

# (method, then the answers as above)
RULES_PAGES: dict[str, tuple] = {
    "": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "healthz": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "manifest.webmanifest": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "sw.js": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "offline/": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "login/": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "logout/": ("POST", "login", "login", "login", "login", "login", "login"),
    "no-organization/": ("GET", "403", "403", "403", "403", "403", "login"),
    "my-work/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "board/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "dashboard/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "account/tokens/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "account/tokens/<str:token_id>/revoke/": ("POST", "404", "404", "404", "ok", "404", "login"),
    "assets/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "assets/labels/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "assets/import/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "assets/<uuid:asset_id>/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "assets/<uuid:asset_id>/qr.svg": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "assets/<uuid:asset_id>/status/": ("POST", "ok", "ok", "ok", "ok", "404", "login"),
    "meters/<uuid:meter_id>/reading/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "readings/import/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "locations/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "attachments/<uuid:attachment_id>/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "work-orders/new/": ("GET", "ok", "ok", "ok", "ok", "ok", "login"),
    "work-orders/<str:number>/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/transition/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/assign/": ("POST", "403", "ok", "403", "ok", "404", "login"),
    "work-orders/<str:number>/notes/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/edit/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/readings/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/request/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/time/start/": ("POST", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/time/stop/": ("POST", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/time/log/": ("POST", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/parts/": ("POST", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/attachments/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/signature/": ("POST", "422", "422", "422", "422", "404", "login"),
    "work-orders/<str:number>/checklist/<uuid:item_id>/": (
        "POST",
        "422",
        "422",
        "422",
        "422",
        "404",
        "login",
    ),
    # The matrix's item has not failed: the refusal shows on the page (it used to redirect).
    "work-orders/<str:number>/checklist/<uuid:item_id>/follow-up/": (
        "POST",
        "422",
        "422",
        "422",
        "422",
        "404",
        "login",
    ),
    "r/<uuid:asset_id>/": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "r/thanks/<str:token>/": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "r/status/<str:token>/": ("GET", "ok", "ok", "ok", "ok", "ok", "ok"),
    "requests/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "requests/<uuid:request_id>/approve/": ("POST", "403", "ok", "ok", "ok", "404", "login"),
    "requests/<uuid:request_id>/reject/": ("POST", "403", "422", "422", "422", "404", "login"),
    "requests/<uuid:request_id>/photo/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/report/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/report/signature/<uuid:signature_id>/": (
        "GET",
        "ok",
        "ok",
        "ok",
        "ok",
        "404",
        "login",
    ),
    "assets/<uuid:asset_id>/work/": ("GET", "ok", "ok", "ok", "ok", "404", "login"),
    "plans/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "plans/new/": ("GET", "403", "403", "ok", "ok", "ok", "login"),
    "plans/preview/": ("POST", "403", "ok", "ok", "ok", "ok", "login"),
    "plans/forecast/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "plans/<uuid:plan_id>/": ("GET", "403", "ok", "ok", "ok", "404", "login"),
    "plans/<uuid:plan_id>/edit/": ("GET", "403", "403", "ok", "ok", "404", "login"),
    "rules/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "rules/new/": ("GET", "403", "403", "ok", "ok", "ok", "login"),
    "rules/<uuid:rule_id>/": ("GET", "403", "ok", "ok", "ok", "404", "login"),
    "board/plan/": ("GET", "403", "ok", "403", "ok", "404", "login"),
    "board/day-plan/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "board/day-plan/<uuid:day_plan_id>/": ("GET", "403", "ok", "ok", "ok", "404", "login"),
    "board/day-plan/<uuid:day_plan_id>/accept/": ("POST", "403", "ok", "403", "ok", "404", "login"),
    "dashboard/export/<slug:table>.csv": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "dashboard/assets/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "dashboard/work/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "dashboard/people/": ("GET", "403", "ok", "ok", "ok", "ok", "login"),
    "integrations/webhooks/<uuid:connection_id>/": (
        "POST",
        "401",
        "401",
        "401",
        "401",
        "401",
        "401",
    ),
    "integrations/webhooks/monitor/": ("GET", "403", "403", "403", "ok", "ok", "login"),
    "integrations/webhooks/endpoints/": ("GET", "403", "403", "403", "ok", "ok", "login"),
    "integrations/webhooks/flows/": ("GET", "403", "403", "403", "ok", "ok", "login"),
    "integrations/webhooks/deliveries/<uuid:delivery_id>/redeliver/": (
        "POST",
        "403",
        "403",
        "403",
        "ok",
        "404",
        "login",
    ),
    "integrations/webhooks/alerts/<int:alert_id>/dismiss/": (
        "POST",
        "403",
        "403",
        "403",
        "ok",
        "404",
        "login",
    ),
    "admin/": ("GET", "login", "login", "login", "login", "login", "login"),
}

# Pages that answer a GET and also take a POST (their form's, or the same as a GET): the answers
# to a POST, same columns as RULES_API. Found by posting to every GET page as an admin.
RULES_FORMS: dict[str, tuple] = {
    "": ("ok", "ok", "ok", "ok", "ok", "login"),
    "login/": ("ok", "ok", "ok", "ok", "ok", "ok"),
    "no-organization/": ("403", "403", "403", "403", "403", "login"),
    "my-work/": ("ok", "ok", "ok", "ok", "ok", "login"),
    "board/": ("403", "ok", "ok", "ok", "ok", "login"),
    "account/tokens/": ("422", "422", "422", "422", "422", "login"),
    "assets/": ("ok", "ok", "ok", "ok", "ok", "login"),
    "assets/labels/": ("ok", "ok", "ok", "ok", "ok", "login"),
    "assets/import/": ("422", "422", "422", "422", "422", "login"),
    "assets/<uuid:asset_id>/": ("ok", "ok", "ok", "ok", "404", "login"),
    "assets/<uuid:asset_id>/qr.svg": ("ok", "ok", "ok", "ok", "404", "login"),
    "meters/<uuid:meter_id>/reading/": ("422", "422", "422", "422", "404", "login"),
    "readings/import/": ("422", "422", "422", "422", "422", "login"),
    "locations/": ("ok", "ok", "ok", "ok", "ok", "login"),
    "attachments/<uuid:attachment_id>/": ("ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/": ("ok", "ok", "ok", "ok", "ok", "login"),
    "work-orders/new/": ("422", "422", "422", "422", "422", "login"),
    "work-orders/<str:number>/": ("ok", "ok", "ok", "ok", "404", "login"),
    "r/<uuid:asset_id>/": ("422", "422", "422", "422", "422", "422"),
    "r/thanks/<str:token>/": ("ok", "ok", "ok", "ok", "ok", "ok"),
    "r/status/<str:token>/": ("ok", "ok", "ok", "ok", "ok", "ok"),
    "requests/": ("403", "ok", "ok", "ok", "ok", "login"),
    "requests/<uuid:request_id>/photo/": ("ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/report/": ("ok", "ok", "ok", "ok", "404", "login"),
    "work-orders/<str:number>/report/signature/<uuid:signature_id>/": (
        "ok",
        "ok",
        "ok",
        "ok",
        "404",
        "login",
    ),
    "assets/<uuid:asset_id>/work/": ("ok", "ok", "ok", "ok", "404", "login"),
    "plans/": ("403", "ok", "ok", "ok", "ok", "login"),
    "plans/new/": ("403", "403", "422", "422", "422", "login"),
    "plans/forecast/": ("403", "ok", "ok", "ok", "ok", "login"),
    "plans/<uuid:plan_id>/": ("403", "ok", "ok", "ok", "404", "login"),
    "plans/<uuid:plan_id>/edit/": ("403", "403", "422", "422", "404", "login"),
    "rules/": ("403", "ok", "ok", "ok", "ok", "login"),
    "rules/new/": ("403", "403", "422", "422", "422", "login"),
    "rules/<uuid:rule_id>/": ("403", "403", "422", "422", "404", "login"),
    "board/plan/": ("403", "422", "403", "422", "404", "login"),
    "board/day-plan/": ("403", "422", "403", "422", "422", "login"),
    "integrations/webhooks/monitor/": ("403", "403", "403", "ok", "ok", "login"),
    "integrations/webhooks/endpoints/": ("403", "403", "403", "422", "422", "login"),
    "integrations/webhooks/flows/": ("403", "403", "403", "422", "422", "login"),
    "admin/": ("login", "login", "login", "login", "login", "login"),
}


def _client(world, other_world, actor: str, *, api: bool) -> Client:
    if actor == "anonymous":
        return Client()
    member_world, persona = (other_world, "admin") if actor == "other" else (world, actor)
    if api:
        token = member_world.tokens[persona]
        return Client(headers={"Authorization": f"Bearer {token}"})
    client = Client()
    client.force_login(member_world.members[persona].user)
    return client


def _answer(request) -> str:
    with transaction.atomic():
        try:
            return classify(request())
        finally:
            transaction.set_rollback(True)


def walk(world, other_world) -> tuple[dict[str, tuple], dict[str, tuple]]:
    api_seen: dict[str, tuple] = {}
    for route in api_routes():
        answers = []
        for actor in ACTORS:
            client = _client(world, other_world, actor, api=True)
            started = time.perf_counter()
            answers.append(_answer(lambda c=client, r=route: call_api(c, r, world.params)))
            TIMES[route.key] = TIMES.get(route.key, 0) + time.perf_counter() - started
        api_seen[route.key] = tuple(answers)
    page_seen: dict[str, tuple] = {}
    for route in page_routes():
        path = fill_page(route.path, world.params)
        method = RULES_PAGES.get(route.path, ("GET",))[0].lower()
        page_seen[route.path] = _walk_page(world, other_world, route.path, path, method)
        if method == "get":
            # A page that also takes a form post (anything but 405 for an admin) needs a rule
            # for the post as well: the form's write must be guarded like the page.
            probe = _client(world, other_world, "admin", api=False)
            if _answer(lambda c=probe, p=path: call_page(c, "post", p)) != "405":
                page_seen[f"POST {route.path}"] = _walk_page(
                    world, other_world, route.path, path, "post"
                )
    return api_seen, page_seen


def _walk_page(world, other_world, route: str, path: str, method: str) -> tuple:
    answers = []
    data = {key: value.format(**world.params) for key, value in PAGE_DATA.get(route, {}).items()}
    for actor in ACTORS:
        client = _client(world, other_world, actor, api=False)
        started = time.perf_counter()
        answers.append(_answer(lambda c=client, m=method, p=path, d=data: call_page(c, m, p, d)))
        TIMES[route] = TIMES.get(route, 0) + time.perf_counter() - started
    return tuple(answers)


@pytest.fixture
def matrix(world, other_world, settings):
    settings.API_RATE_PER_MINUTE = 10**6
    settings.INTEGRATIONS_API_RATE_PER_MINUTE = 10**6
    return walk(world, other_world)


def test_every_route_answers_each_actor_as_its_rule_says(matrix):
    api_seen, page_seen = matrix
    if os.environ.get("AUTHZ_RECORD"):
        for key, answers in {**api_seen, **page_seen}.items():
            method = (RULES_PAGES.get(key, ("GET",))[0],) if key in RULES_PAGES else ()
            print(f"{key!r}: {(*method, *answers)},")
        for key, spent in sorted(TIMES.items(), key=lambda kv: -kv[1])[:15]:
            print(f"TIME {spent:.2f}s {key}")
    expected_pages = {route: answers[1:] for route, answers in RULES_PAGES.items()}
    expected_pages |= {f"POST {route}": answers for route, answers in RULES_FORMS.items()}
    missing = sorted(set(api_seen) - set(RULES_API)) + sorted(set(page_seen) - set(expected_pages))
    assert not missing, f"new route without a rule: {missing}"
    stale = sorted(set(RULES_API) - set(api_seen)) + sorted(set(expected_pages) - set(page_seen))
    assert not stale, f"rule for a route that no longer exists: {stale}"
    wrong = {
        key: {"expected": RULES_API[key], "got": got}
        for key, got in api_seen.items()
        if RULES_API[key] != got
    }
    wrong |= {
        key: {"expected": expected_pages[key], "got": got}
        for key, got in page_seen.items()
        if expected_pages[key] != got
    }
    assert not wrong
    forms = sum(key.startswith("POST ") for key in page_seen)
    print(
        f"\nauthorisation matrix: {len(api_seen)} API operations, {len(page_seen) - forms} pages"
        f" and {forms} of them posted to, x {len(ACTORS)} actors ="
        f" {(len(api_seen) + len(page_seen)) * len(ACTORS)} requests"
    )


# Pages addressed by something other than a row of the organisation: the public QR report form
# and its token pages, the inbound webhook (signature-checked), a dashboard table by name.
NOT_ROWS = {
    "r/<uuid:asset_id>/",
    "r/thanks/<str:token>/",
    "r/status/<str:token>/",
    "integrations/webhooks/<uuid:connection_id>/",
    "dashboard/export/<slug:table>.csv",
}


def test_rules_keep_the_tenancy_and_sign_in_promises():
    """The table itself may not drift: every API operation refuses anonymous callers with 401,
    and every route addressing a row answers another organisation with 404 (never 403)."""
    for key, answers in RULES_API.items():
        assert answers[-1] == "401", key
        if "{" in key:
            assert answers[4] == "404", key
    pages = [(route, answers) for route, (_, *answers) in RULES_PAGES.items()]
    for route, answers in [*pages, *RULES_FORMS.items()]:
        if "<" in route and route not in NOT_ROWS:
            assert answers[4] == "404", route
            assert answers[5] == "login", route
