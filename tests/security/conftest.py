"""One organisation with a row of every kind the API and pages address, and the same again in
another organisation, so the security tests can fill every path parameter with a real object."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fieldops.accounts.models import Membership, Role
from fieldops.accounts.services import api_token_create
from fieldops.uploads import check_upload
from integrations.webhooks.models import WebhookAlert, WebhookDelivery
from integrations.webhooks.services.endpoints import endpoint_create
from integrations.webhooks.services.flows import flow_create
from tests.assets.factories import make_asset, make_location, make_meter, make_reading
from tests.dispatch.factories import make_profile, make_skill
from tests.factories import MembershipFactory
from tests.integrations.factories import ConnectionFactory
from tests.maintenance.factories import make_plan, make_rule
from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders.dispatch.models import DayPlan
from workorders.models import Signature
from workorders.services import ChecklistItemSpec
from workorders.services.children import attachment_add, note_add, time_entry_add
from workorders.services.requests import request_submit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a PNG by its magic number


@dataclass
class World:
    """An organisation's personas and one public id (or number/token) per path parameter."""

    members: dict[str, Membership]
    params: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # persona -> bearer secret


def build_world(prefix: str, members: dict[str, Membership], *, numbers_taken: int = 0) -> World:
    """Rows of every kind in ``members``' organisation, made through the services.
    ``numbers_taken``: work orders made first, so the world's own work order has a number the
    other organisation does not have (numbers are per organisation)."""
    admin, dispatcher, technician = members["admin"], members["dispatcher"], members["technician"]
    org_id = admin.organization_id
    site = make_location(admin, f"{prefix}-SITE")
    asset = make_asset(admin, f"{prefix}-PMP", location=site)
    meter = make_meter(admin, asset)
    gauge = make_meter(admin, asset, name="Bearing temperature", kind="gauge", unit="C")
    make_reading(admin, meter, 10.0, timezone.now() - timedelta(hours=1))
    make_reading(admin, gauge, 40.0, timezone.now() - timedelta(hours=1))
    skill = make_skill(org_id)
    make_profile(technician, skills={skill: 3}, home=(52.37, 4.89))
    part = make_part(org_id, code=f"{prefix}-SEAL")
    for _ in range(numbers_taken):
        make_work_order(dispatcher, title="Filler")
    work_order = make_work_order(
        dispatcher,
        asset_id=asset.public_id,
        work_type="inspection",
        checklist=[ChecklistItemSpec("Seal dry"), ChecklistItemSpec("Oil level ok")],
    )
    work_order = move(assign(work_order, technician, dispatcher), technician, "in_progress")
    note_add(membership=technician, work_order=work_order, text="Checked the seal.")
    entry, _ = time_entry_add(
        membership=technician,
        work_order=work_order,
        kind="work",
        started_at=timezone.now() - timedelta(minutes=30),
    )
    photo = check_upload(SimpleUploadedFile("p.png", PNG, "image/png"), field="file")
    attachment, _ = attachment_add(membership=technician, work_order=work_order, upload=photo)
    # A signature from an earlier completion (the customer signs completed work; this job is
    # back in progress so that every route of the running job answers too).
    signature = Signature(
        organization_id=org_id,
        work_order=work_order,
        author=technician,
        occurred_at=timezone.now() - timedelta(hours=1),
        signer_name="Customer",
        image_sha256=photo.sha256,
        report_sha256="0" * 64,
    )
    signature.image.save("signature.png", ContentFile(photo.content), save=False)
    signature.save()
    submitted = request_submit(
        membership=technician, description="Noise at pump", asset=asset, photo=photo
    )
    plan = make_plan(admin, asset)
    day_plan = DayPlan.objects.create(
        organization_id=org_id,
        day=timezone.now().date(),
        status="ready",
        proposal={"lanes": [], "unplaced": [], "travel": {"before": 0, "after": 0}},
    )
    rule = make_rule(admin, gauge)
    connection = ConnectionFactory(organization_id=org_id, name=f"{prefix} ERP")
    created = endpoint_create(
        membership=admin, url="http://127.0.0.1:9/hook", event_types=["workorder.*"]
    )
    delivery = WebhookDelivery.objects.create(
        organization_id=org_id,
        endpoint=created.endpoint,
        event_id=f"evt_{prefix}",
        event_type="workorder.created",
        event_at=datetime(2026, 1, 1, tzinfo=UTC),
        payload={"id": f"evt_{prefix}", "type": "workorder.created", "data": {}},
        status="failed",
    )
    flow = flow_create(
        membership=admin,
        values={
            "name": "Forward",
            "event_type": "workorder.created",
            "action": "send_to_endpoint",
            "endpoint_id": created.endpoint.public_id,
        },
    )
    alert = WebhookAlert.objects.create(
        organization_id=org_id, kind="endpoint_disabled", message="Endpoint off"
    )
    world = World(members=members)
    for persona, member in members.items():
        world.tokens[persona] = api_token_create(membership=member, name="security").secret
    own_token = api_token_create(membership=admin, name="revocable")
    item = work_order.checklist.first()
    world.params = {
        "token_id": str(own_token.token.public_id),
        "location_id": str(site.public_id),
        "asset_id": str(asset.public_id),
        "meter_id": str(meter.public_id),
        "ref": str(work_order.public_id),
        "number": work_order.reference,
        "entry_id": str(entry.public_id),
        "item_id": str(item.public_id),
        "attachment_id": str(attachment.public_id),
        "signature_id": str(signature.public_id),
        "request_id": str(submitted.public_id),
        "token": submitted.status_token,
        "plan_id": str(plan.public_id),
        "day_plan_id": str(day_plan.public_id),
        "rule_id": str(rule.public_id),
        "technician_id": str(technician.public_id),
        "connection_id": str(connection.public_id),
        "entity": "work_orders",
        "remote_id": "4711",
        "endpoint_id": str(created.endpoint.public_id),
        "delivery_id": str(delivery.public_id),
        "flow_id": str(flow.public_id),
        "alert_id": str(alert.pk),
        "table": "backlog",
        "part_id": str(part.public_id),
    }
    return world


def personas(organization) -> dict[str, Membership]:
    return {
        role: MembershipFactory(organization=organization, role=role)
        for role in (Role.TECHNICIAN, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
    }


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(organization, media_root) -> World:
    return build_world("ACME", personas(organization), numbers_taken=1)


@pytest.fixture
def other_world(other_organization, media_root) -> World:
    return build_world("RIVAL", personas(other_organization))


def pytest_terminal_summary(terminalreporter):
    """How many requests the fuzzer sent, for the record (CI's log keeps it)."""
    fuzz = sys.modules.get("tests.security.test_fuzz")
    if fuzz is None or not fuzz.RUN["cases"]:
        return
    run = fuzz.RUN
    terminalreporter.write_line(
        f"schemathesis: {run['cases']} requests over {run['operations']} operations"
        f" ({run['real_ids']} on real rows), {run['errors']} answered with an error envelope,"
        f" {run['failed']} operations failed their checks"
    )
