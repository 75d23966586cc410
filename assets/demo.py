"""Demo registry for Northwind Facilities: two sites, a dozen assets, meters with history."""

import math
import zlib
from datetime import timedelta

from django.utils import timezone

from assets import services
from assets.models import Asset, Location, Meter, MeterReading, ReadingSource

LOCATIONS = [
    # code, name, kind, parent code
    ("BER", "Berlin plant", "site", None),
    ("BER-B1", "Boiler house", "building", "BER"),
    ("BER-B1-BR", "Boiler room", "area", "BER-B1"),
    ("BER-B2", "Production hall", "building", "BER"),
    ("BER-B2-L1", "Line 1", "area", "BER-B2"),
    ("BER-B2-ROOF", "Roof plant", "area", "BER-B2"),
    ("HAM", "Hamburg depot", "site", None),
    ("HAM-WS", "Workshop", "building", "HAM"),
]
ASSETS = [
    # code, name, type, criticality, location, parent, manufacturer, model
    (
        "BLR-001",
        "Steam boiler 1",
        "boiler",
        "critical",
        "BER-B1-BR",
        None,
        "Viessmann",
        "Vitomax 200",
    ),
    (
        "PMP-101",
        "Boiler feed pump A",
        "pump",
        "high",
        "BER-B1-BR",
        "BLR-001",
        "Grundfos",
        "CR 15-5",
    ),
    (
        "PMP-102",
        "Boiler feed pump B",
        "pump",
        "high",
        "BER-B1-BR",
        "BLR-001",
        "Grundfos",
        "CR 15-5",
    ),
    ("MTR-101", "Feed pump A motor", "motor", "medium", "BER-B1-BR", "PMP-101", "Siemens", "1LE1"),
    ("CMP-201", "Air compressor", "compressor", "high", "BER-B2-L1", None, "Atlas Copco", "GA 37"),
    ("CNV-201", "Infeed conveyor", "conveyor", "medium", "BER-B2-L1", None, "Interroll", "RM 8"),
    ("AHU-301", "Air handling unit roof", "hvac", "medium", "BER-B2-ROOF", None, "Trox", "X-CUBE"),
    ("CHL-301", "Chiller", "hvac", "high", "BER-B2-ROOF", None, "Carrier", "30RB"),
    ("FLT-401", "Forklift 1", "vehicle", "low", "HAM-WS", None, "Linde", "E20"),
    ("TRK-402", "Service van HH-FO 42", "vehicle", "medium", "HAM", None, "Ford", "Transit"),
    ("GEN-403", "Standby generator", "generator", "critical", "HAM-WS", None, "Cummins", "C150"),
]
METERS = [
    # asset, name, kind, unit, min, max, start, daily step or gauge mid, gauge swing
    ("BLR-001", "Run hours", "cumulative", "h", 0, None, 18_200, 20, 0),
    ("BLR-001", "Steam pressure", "gauge", "bar", 0, 16, 10, 0, 0.8),
    ("PMP-101", "Bearing temperature", "gauge", "°C", -20, 150, 55, 0, 6),
    ("PMP-101", "Vibration", "gauge", "mm/s", 0, 50, 2.4, 0, 0.6),
    ("CMP-201", "Run hours", "cumulative", "h", 0, None, 9_400, 16, 0),
    ("CHL-301", "Leaving water temperature", "gauge", "°C", -10, 40, 7, 0, 1.2),
    ("TRK-402", "Odometer", "cumulative", "km", 0, None, 48_000, 85, 0),
    ("GEN-403", "Run hours", "cumulative", "h", 0, None, 312, 0.3, 0),
]
HISTORY_DAYS = 60


def seed(context) -> None:
    org, admin = context.organization, context.members["admin"]
    locations = {loc.code: loc for loc in Location.objects.filter(organization=org)}
    for code, name, kind, parent in LOCATIONS:
        if code not in locations:
            locations[code] = services.location_create(
                membership=admin,
                code=code,
                name=name,
                kind=kind,
                parent_id=locations[parent].public_id if parent else None,
            )
            context.count("locations", True)
    assets = {a.code: a for a in Asset.objects.filter(organization=org)}
    for code, name, kind, crit, loc, parent, make, model in ASSETS:
        if code not in assets:
            assets[code] = services.asset_create(
                membership=admin,
                code=code,
                name=name,
                asset_type=kind,
                criticality=crit,
                location=locations[loc].public_id,
                parent=assets[parent].public_id if parent else None,
                manufacturer=make,
                model=model,
                serial_number=f"SN-{zlib.crc32(code.encode()) % 10**6:06d}",
                install_date=(timezone.now() - timedelta(days=900)).date(),
            )
            context.count("assets", True)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for code, name, kind, unit, low, high, start, step, swing in METERS:
        meter = Meter.objects.filter(asset=assets[code], name=name).first()
        if meter is None:
            meter = services.meter_create(
                membership=admin,
                asset_id=assets[code].public_id,
                name=name,
                kind=kind,
                unit=unit,
                min_value=low,
                max_value=high,
            )
            context.count("meters", True)
        if meter.readings.exists():
            continue
        # History is demo scenery, written in bulk; the newest reading goes through the service
        # so the meter's last value and the event are as in real use.
        history = []
        for day in range(HISTORY_DAYS, 0, -1):
            t = now - timedelta(days=day)
            i = HISTORY_DAYS - day
            value = start + step * i if kind == "cumulative" else start + swing * math.sin(i / 4)
            history.append(
                MeterReading(
                    organization=org,
                    meter=meter,
                    value=round(value, 2),
                    taken_at=t,
                    source=ReadingSource.IOT if kind == "gauge" else ReadingSource.TECHNICIAN,
                )
            )
        MeterReading.objects.bulk_create(history)
        last = start + step * HISTORY_DAYS if kind == "cumulative" else start + swing * 0.5
        services.reading_record(
            membership=context.members["tech1"],
            organization_id=org.pk,
            meter_id=meter.public_id,
            value=round(last, 2),
            taken_at=now,
        )
        context.count("readings", True)
    if (
        assets["CNV-201"].status == "operating"
        and not assets["CNV-201"].status_changes.filter(to_status="down").exists()
    ):
        services.asset_change_status(
            membership=context.members["tech2"],
            organization_id=org.pk,
            asset_id=assets["CNV-201"].public_id,
            status="down",
            reason="Belt slipping at infeed",
        )
