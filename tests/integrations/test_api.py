"""The unified API: connections, unified reads (live and cached), sync controls, throttling."""

import logging

import pytest

from integrations.crypto import decrypt_credentials
from integrations.models import Connection, SyncRun
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory
from tests.integrations.simulators.base import serve

API = "/api/v1/integrations"


@pytest.fixture
def sap_sim():
    sim = sap_data.seeded(page_size=2, equipment_count=5)
    with serve(sim) as url:
        sim.base_url = url + "/sap/opu/odata/sap"
        yield sim


def create(client, sim, **extra):
    body = {
        "system": "sap_s4hana",
        "name": "S/4 production",
        "base_url": sim.base_url,
        "credentials": {"username": "FIELDOPS", "password": "s3cret"},
        **extra,
    }
    return client.post(f"{API}/connections", body, content_type="application/json")


def test_admin_creates_a_connection_and_never_sees_the_secret_again(
    as_member, admin_member, sap_sim
):
    answer = create(as_member(admin_member), sap_sim)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert "s3cret" not in answer.content.decode()
    assert body["credentials"] == {"password": "••••", "username": "••••"}
    connection = Connection.objects.get()
    assert "s3cret" not in connection.credentials_encrypted
    assert decrypt_credentials(connection.credentials_encrypted)["password"] == "s3cret"
    listed = as_member(admin_member).get(f"{API}/connections").json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate_limit_per_minute", 2**40),
        ("rate_limit_per_minute", 0),
        ("max_concurrency", 2**20),
        ("poll_interval_minutes", 2**40),
    ],
)
def test_limits_out_of_bounds_are_refused_and_change_nothing(
    as_member, admin_member, sap_sim, field, value
):
    # Found by the API fuzzer: 2**40 went to PostgreSQL and came back as a 500.
    client = as_member(admin_member)
    answer = create(client, sap_sim, **{field: value})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in answer.json()["error"]["details"]["fields"]
    assert not Connection.objects.exists()
    created = create(client, sap_sim).json()
    patched = client.patch(
        f"{API}/connections/{created['id']}", {field: value}, content_type="application/json"
    )
    assert patched.status_code == 422
    assert getattr(Connection.objects.get(), field) == created[field]


def test_only_admins_manage_connections(as_member, dispatcher, technician, sap_sim):
    assert create(as_member(dispatcher), sap_sim).status_code == 403
    assert create(as_member(technician), sap_sim).json()["error"]["code"] == "PERMISSION_DENIED"


def test_another_organisations_connection_is_404(as_member, other_org_user, organization):
    connection = ConnectionFactory(organization=organization)
    answer = as_member(other_org_user).get(f"{API}/connections/{connection.public_id}")
    assert answer.status_code == 404


def test_test_connection_reports_online_then_auth_required_without_leaking_secrets(
    as_member, admin_member, sap_sim, caplog
):
    client = as_member(admin_member)
    connection_id = create(client, sap_sim).json()["id"]
    ok = client.post(f"{API}/connections/{connection_id}/test").json()
    assert ok["ok"] is True
    assert ok["status"] == "online"
    client.patch(
        f"{API}/connections/{connection_id}",
        {"credentials": {"username": "FIELDOPS", "password": "wrong-password-123"}},
        content_type="application/json",
    )
    with caplog.at_level(logging.DEBUG):
        bad = client.post(f"{API}/connections/{connection_id}/test").json()
    assert bad["ok"] is False
    assert bad["status"] == "auth_required"
    assert bad["error"]["code"] == "AUTH_FAILED"
    assert "wrong-password-123" not in caplog.text
    detail = client.get(f"{API}/connections/{connection_id}").json()
    assert detail["status"] == "auth_required"
    assert "Logon failed" in detail["status_reason"]


def test_sync_through_the_api_then_read_the_same_shape_live_and_cached(
    as_member,
    admin_member,
    dispatcher,
    sap_sim,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    admin = as_member(admin_member)
    connection_id = create(admin, sap_sim).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        started = admin.post(
            f"{API}/connections/{connection_id}/sync",
            {"entity": "assets", "full": True},
            content_type="application/json",
        )
    assert started.status_code == 202
    run = SyncRun.objects.get()
    assert (run.status, run.created) == ("completed", 5)
    runs = admin.get(f"{API}/connections/{connection_id}/runs").json()
    assert runs["items"][0]["created"] == 5
    status = admin.get(f"{API}/connections/{connection_id}/sync").json()
    assert status[0]["entity"] == "assets"
    assert status[0]["latest_run"]["status"] == "completed"

    reader = as_member(dispatcher)
    with django_assert_max_num_queries(8):
        cached = reader.get(f"{API}/connections/{connection_id}/assets?source=cache&limit=3")
    cached = cached.json()
    live = reader.get(f"{API}/connections/{connection_id}/assets?limit=3").json()
    assert len(cached["items"]) == 3
    assert cached["next_cursor"]
    first_live = live["items"][0]
    first_cached = next(i for i in cached["items"] if i["remote_id"] == first_live["remote_id"])
    assert first_live == first_cached  # one shape, the same unified id, whatever the source
    assert set(first_live) >= {"id", "remote_id", "remote_updated_at", "raw", "name", "code"}

    # Paging to the end through the live cursor (SAP's __next, encrypted for the client).
    seen, cursor = [], None
    while True:
        url = f"{API}/connections/{connection_id}/assets?limit=2"
        page = reader.get(url + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [i["remote_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5
    one = reader.get(f"{API}/connections/{connection_id}/assets/10000003").json()
    assert one["serial_number"] == "SN-10000003"
    assert reader.get(f"{API}/connections/{connection_id}/assets/nope").status_code == 404


def test_a_record_a_full_run_no_longer_finds_reads_as_deleted_from_the_cache(
    as_member, admin_member, sap_sim, django_capture_on_commit_callbacks
):
    client = as_member(admin_member)
    connection_id = create(client, sap_sim).json()["id"]
    sync = f"{API}/connections/{connection_id}/sync"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(sync, {"entity": "assets", "full": True}, content_type="application/json")
        sap_sim.rows["/API_EQUIPMENT/Equipment"] = [
            r for r in sap_sim.rows["/API_EQUIPMENT/Equipment"] if r["Equipment"] != "10000002"
        ]
    gone = client.get(f"{API}/connections/{connection_id}/assets/10000002?source=cache").json()
    assert (gone["remote_id"], gone["is_deleted"]) == ("10000002", True)
    assert gone["raw"]["Equipment"] == "10000002"  # kept, only marked
    listed = client.get(f"{API}/connections/{connection_id}/assets?source=cache").json()["items"]
    assert {i["remote_id"]: i["is_deleted"] for i in listed} == {
        "10000001": False,
        "10000002": True,
        "10000003": False,
        "10000004": False,
        "10000005": False,
    }


def test_live_read_maps_erp_faults_to_the_error_envelope(as_member, admin_member, sap_sim):
    client = as_member(admin_member)
    connection_id = create(client, sap_sim, settings={"max_attempts": 1}).json()["id"]
    sap_sim.faults = [("429", 30)]
    limited = client.get(f"{API}/connections/{connection_id}/assets")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(limited["Retry-After"]) >= 30
    sap_sim.faults = ["malformed"]
    broken = client.get(f"{API}/connections/{connection_id}/assets")
    assert broken.status_code == 502
    assert broken.json()["error"]["details"]["connector_error"] == "MALFORMED_RESPONSE"
    unsupported = client.get(f"{API}/connections/{connection_id}/vendors")
    assert unsupported.status_code == 404


def test_unified_endpoints_have_their_own_per_client_allowance(
    as_member, admin_member, sap_sim, settings
):
    settings.INTEGRATIONS_API_RATE_PER_MINUTE = 2
    client = as_member(admin_member)
    connection_id = create(client, sap_sim).json()["id"]
    url = f"{API}/connections/{connection_id}/assets?source=cache"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    third = client.get(url)
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(third["Retry-After"]) >= 1


def test_tryton_purchase_orders_parts_and_employees_through_the_unified_endpoint(
    as_member, admin_member, tryton, django_capture_on_commit_callbacks
):
    client = as_member(admin_member)
    body = {
        "system": "tryton",
        "name": "Tryton",
        "base_url": tryton.url,
        "credentials": {"login": tryton.login, "password": tryton.password},
        "settings": {"database": tryton.database, "company": tryton.seed["company"]},
    }
    connection_id = client.post(f"{API}/connections", body, content_type="application/json").json()[
        "id"
    ]
    orders = client.get(f"{API}/connections/{connection_id}/purchase_orders").json()
    po = next(o for o in orders["items"] if o["remote_id"] == str(tryton.seed["purchase"]))
    assert po["vendor_name"] == "Bearings Direct"
    assert po["total_amount"] == "73.20"
    assert [line["part_code"] for line in po["lines"]] == ["BRG-6204", "FLT-100"]
    assert po["raw"]["state"] == "quotation"
    with django_capture_on_commit_callbacks(execute=True):
        for entity in ("parts", "employees"):
            client.post(
                f"{API}/connections/{connection_id}/sync",
                {"entity": entity, "full": True},
                content_type="application/json",
            )
    parts = client.get(f"{API}/connections/{connection_id}/parts?source=cache").json()
    bearing = next(p for p in parts["items"] if p["code"] == "BRG-6204")
    assert bearing["stock"] == [
        {
            "location_remote_id": str(tryton.seed["warehouse"]),
            "location_name": "Warehouse",
            "quantity": "10.0",
        }
    ]
    people = client.get(f"{API}/connections/{connection_id}/employees?source=cache").json()
    assert {"Jane Wrench", "Bob Spanner"} <= {p["name"] for p in people["items"]}
    assert all(r.status == "completed" for r in SyncRun.objects.all())
