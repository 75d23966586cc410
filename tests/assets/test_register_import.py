"""Asset register import from CSV: a dry run shows what would change; errors store nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import Asset, AssetStatusChange

HEADER = (
    "code,name,asset_type,criticality,status,location_code,parent_code,serial_number,install_date\n"
)


def run(client, body: str, *, dry_run: bool):
    return client.post(
        f"/api/v1/assets/import?dry_run={'true' if dry_run else 'false'}",
        {"file": SimpleUploadedFile("assets.csv", (HEADER + body).encode(), "text/csv")},
    )


GOOD = (
    "PMP-001,Feed pump (rebuilt),,critical,down,,SKID-9,,\n"
    "MTR-001,Pump motor,motor,high,,B1-BOILER,PMP-001,M-1,2021-04-01\n"
    "SKID-9,Boiler skid,skid,,,B1-BOILER,,,\n"
)


def test_dry_run_reports_and_stores_nothing(as_member, dispatcher, pump, area):
    response = run(as_member(dispatcher), GOOD, dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is True
    assert body["applied"] is False
    assert (body["created"], body["updated"], body["errors"]) == (2, 1, 0)
    assert {r["code"]: r["action"] for r in body["rows"]} == {
        "PMP-001": "update",
        "MTR-001": "create",
        "SKID-9": "create",
    }
    assert set(body["rows"][0]["changes"]) >= {"name", "criticality", "status", "parent"}
    assert Asset.objects.count() == 1
    pump.refresh_from_db()
    assert (pump.name, pump.status, pump.parent_id) == ("Feed pump", "operating", None)


def test_import_creates_and_updates_with_parents_further_down(as_member, dispatcher, pump, area):
    response = run(as_member(dispatcher), GOOD, dry_run=False)
    assert response.json()["applied"] is True
    pump.refresh_from_db()
    skid = Asset.objects.get(code="SKID-9")
    motor = Asset.objects.get(code="MTR-001")
    assert pump.parent_id == skid.pk
    assert pump.status == "down"
    assert pump.serial_number == "SN-77"  # an empty cell leaves the field as it is
    assert motor.path == f"/{skid.pk}/{pump.pk}/{motor.pk}/"
    assert motor.location == area
    assert AssetStatusChange.objects.filter(asset=pump, to_status="down").exists()


def test_any_bad_row_stores_nothing_and_says_why(as_member, dispatcher, pump, area):
    body = (
        "NEW-1,New asset,,,,,,,\n"
        ",No code,,,,,,,\n"
        "NEW-2,,,,,,,,\n"
        "NEW-3,Bad crit,,urgent,,,,,\n"
        "NEW-4,Bad date,,,,,,,31/12/2020\n"
        "NEW-5,Bad place,,,,NOWHERE,,,\n"
        "NEW-6,Bad parent,,,,,GHOST,,\n"
        "new-1,Duplicate in file,,,,,,,\n"
        "NEW-7,Bad status,,,broken,,,,\n"
    )
    response = run(as_member(dispatcher), body, dry_run=False)
    assert response.status_code == 200
    report = response.json()
    assert report["applied"] is False
    errors = {r["row"]: r["errors"] for r in report["rows"] if r["action"] == "error"}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "criticality" in errors[5]
    assert "install_date" in errors[6]
    assert "location_code" in errors[7]
    assert "parent_code" in errors[8]
    assert "status" in errors[10]
    assert Asset.objects.count() == 1


def test_a_cycle_in_the_file_is_refused(as_member, dispatcher):
    body = "A-1,First,,,,,A-2,,\nA-2,Second,,,,,A-1,,\n"
    report = run(as_member(dispatcher), body, dry_run=False).json()
    assert report["applied"] is False
    assert any("parent" in r["errors"] for r in report["rows"])
    assert Asset.objects.count() == 0


def test_malformed_register_file_stores_nothing(as_member, dispatcher):
    response = as_member(dispatcher).post(
        "/api/v1/assets/import",
        {"file": SimpleUploadedFile("a.csv", b"id;label\n1;x\n", "text/csv")},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["unknown"] == ["id", "label"]
    assert Asset.objects.count() == 0


def test_technicians_cannot_import_the_register(as_member, technician):
    response = run(as_member(technician), "X-1,Thing,,,,,,,\n", dry_run=False)
    assert response.status_code == 403
    assert Asset.objects.count() == 0


def test_import_page_dry_run_then_import(as_member, dispatcher, area):
    client = as_member(dispatcher)
    data = (HEADER + "SKID-9,Boiler skid,skid,,,B1-BOILER,,,\n").encode()
    dry = client.post(
        "/assets/import/", {"file": SimpleUploadedFile("a.csv", data), "dry_run": "on"}
    )
    assert "Dry run: nothing stored yet" in dry.content.decode()
    assert Asset.objects.count() == 0
    real = client.post("/assets/import/", {"file": SimpleUploadedFile("a.csv", data)})
    assert "Imported" in real.content.decode()
    assert Asset.objects.filter(code="SKID-9").exists()
