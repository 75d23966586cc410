"""Every write with rules in the asset registry, one function per use case."""

from assets.services.assets import asset_change_status, asset_create, asset_update
from assets.services.imports import (
    asset_register_import,
    readings_import_csv,
    readings_record_batch,
)
from assets.services.locations import location_create, location_update
from assets.services.readings import meter_create, meter_update, reading_record

__all__ = [
    "asset_change_status",
    "asset_create",
    "asset_register_import",
    "asset_update",
    "location_create",
    "location_update",
    "meter_create",
    "meter_update",
    "reading_record",
    "readings_import_csv",
    "readings_record_batch",
]
