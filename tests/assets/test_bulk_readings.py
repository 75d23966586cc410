"""Batch API and CSV import of readings: a per-row report; a malformed file stores nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import MeterReading
from tests.assets.factories import make_reading

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def upload(client, content: bytes, name: str = "readings.csv"):
    return client.post(
        "/api/v1/readings/import", {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_batch_reports_each_row(as_member, technician, hours_meter, temp_meter):
    make_reading(technician, hours_meter, 100, NOW - timedelta(days=2))
    rows = [
        {"meter": str(hours_meter.public_id), "value": 120, "taken_at": "2025-03-09T08:00:00Z"},
        {"meter": str(hours_meter.public_id), "value": 90, "taken_at": "2025-03-09T09:00:00Z"},
        {
            "asset_code": "PMP-001",
            "meter_name": "bearing temperature",
            "value": 61.5,
            "taken_at": "2025-03-09T09:00:00Z",
            "unit": "°C",
        },
        {"meter": str(temp_meter.public_id), "value": "hot", "taken_at": "2025-03-09T09:00:00Z"},
        {"meter": str(temp_meter.public_id), "value": 50, "taken_at": "2030-01-01T00:00:00Z"},
        {"asset_code": "NOPE", "meter_name": "x", "value": 1, "taken_at": "2025-03-09T09:00:00Z"},
    ]
    response = as_member(technician).post(
        "/api/v1/readings/batch", {"readings": rows}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["rows"]] == [
        "stored",
        "refused",
        "stored",
        "refused",
        "refused",
        "refused",
    ]
    assert (body["stored"], body["refused"]) == (2, 4)
    assert "value" in body["rows"][1]["errors"]
    assert "taken_at" in body["rows"][4]["errors"]
    assert "meter" in body["rows"][5]["errors"]
    assert MeterReading.objects.count() == 3


def test_empty_or_oversized_batch_is_refused(as_member, technician, hours_meter):
    client = as_member(technician)
    empty = client.post("/api/v1/readings/batch", {"readings": []}, content_type="application/json")
    assert empty.status_code == 422
    row = {"meter": str(hours_meter.public_id), "value": 1, "taken_at": "2025-03-09T08:00:00Z"}
    big = client.post(
        "/api/v1/readings/batch", {"readings": [row] * 1001}, content_type="application/json"
    )
    assert big.status_code == 422
    assert MeterReading.objects.count() == 0


def test_csv_import_reports_per_line(as_member, technician, hours_meter, temp_meter):
    content = (
        "asset_code;meter;value;unit;taken_at;is_replacement\n"
        "PMP-001;Run hours;100;h;2025-03-01T08:00:00Z;no\n"
        "PMP-001;Run hours;90;h;2025-03-02T08:00:00Z;\n"
        "PMP-001;Run hours;5;h;2025-03-03T08:00:00Z;yes\n"
        "PMP-001;Bearing temperature;45;°F;2025-03-03T08:00:00Z;\n"
        "PMP-001;Bearing temperature;999;°C;2025-03-03T08:00:00Z;\n"
        "PMP-001;Bearing temperature;47;°C;2025-03-03 09:00;\n"
    ).encode()
    response = upload(as_member(technician), content)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(r["row"], r["status"]) for r in body["rows"]] == [
        (2, "stored"),
        (3, "refused"),
        (4, "stored"),
        (5, "refused"),
        (6, "refused"),
        (7, "stored"),
    ]
    assert "unit" in body["rows"][3]["errors"]
    assert MeterReading.objects.count() == 3
    assert set(MeterReading.objects.values_list("source", flat=True)) == {"import"}


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (
            "asset_code,meter,value,taken_at\nPMP-001,Run hours,1,2025-03-01\n".encode("utf-16"),
            "utf16",
        ),
        (b"code,name\nPMP-001,Pump\n", "wrong header"),
        (b"asset_code,meter,value\nPMP-001,Run hours,1\n", "missing taken_at"),
        (b"value,taken_at\n1,2025-03-01T00:00:00Z\n", "no meter column"),
        (
            b"asset_code,meter,value,taken_at,colour\nPMP-001,Run hours,1,2025-03-01,red\n",
            "unknown",
        ),
        (b"asset_code,meter,value,taken_at\n", "header only"),
        (b"asset_code,meter,value,taken_at\nPMP-001,Run hours,1,2025-03-01,extra\n", "ragged"),
        (b'asset_code,meter,value,taken_at\nPMP-001,"Run hours,1,2025-03-01\n', "bad quoting"),
    ],
)
def test_a_file_that_is_not_the_expected_format_stores_nothing(
    as_member, technician, hours_meter, content, why
):
    good_first = b"asset_code,meter,value,taken_at\nPMP-001,Run hours,1,2025-03-01T00:00:00Z\n"
    if why == "ragged":
        content = good_first + b"PMP-001,Run hours,2,2025-03-02,extra\n"
    response = upload(as_member(technician), content)
    assert response.status_code == 422, (why, response.content)
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert MeterReading.objects.count() == 0


def test_too_many_rows_stores_nothing(as_member, technician, hours_meter, monkeypatch):
    from assets.services import imports

    monkeypatch.setattr(imports, "MAX_CSV_ROWS", 3)
    lines = "".join(f"PMP-001,Run hours,{i},2025-03-0{i}T00:00:00Z\n" for i in range(1, 6))
    response = upload(as_member(technician), f"asset_code,meter,value,taken_at\n{lines}".encode())
    assert response.status_code == 422
    assert MeterReading.objects.count() == 0


def test_import_page_shows_the_report(as_member, technician, hours_meter):
    content = (
        b"asset_code,meter,value,taken_at\n"
        b"PMP-001,Run hours,1,2025-03-01T00:00:00Z\n"
        b"PMP-001,Run hours,x,2025-03-02T00:00:00Z\n"
    )
    response = as_member(technician).post(
        "/readings/import/", {"file": SimpleUploadedFile("r.csv", content, "text/csv")}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<strong>1</strong> stored" in text
    assert "<strong>1</strong> refused" in text
    bad = as_member(technician).post(
        "/readings/import/", {"file": SimpleUploadedFile("r.csv", b"nope\n1\n", "text/csv")}
    )
    assert bad.status_code == 422
    assert "Nothing was stored" in bad.content.decode()
    assert MeterReading.objects.count() == 1
