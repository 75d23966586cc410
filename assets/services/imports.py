"""Bulk input: readings in a batch or a CSV file, and an asset register from CSV.

A file that is not the expected format (not text, no header, missing or unknown columns, too
many rows) is refused whole, before anything is stored. Inside a well-formed file each reading
row stands alone: the report says per row what was stored and what was refused. The asset
register is all or nothing, and a dry run shows what it would do.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models.functions import Lower

from assets.models import Asset, AssetStatus, Location, ReadingSource
from assets.services._common import FieldErrors, clean_choice
from assets.services.assets import (
    _record_status_initial,
    _save_new,
    apply_status,
    asset_apply_fields,
    save_asset_changes,
)
from assets.services.readings import meter_for_reading, reading_record
from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import DomainError, ValidationFailed

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_BATCH_ROWS = 1000
MAX_CSV_ROWS = 10_000
READING_COLUMNS = {
    "meter_id",
    "asset_code",
    "meter",
    "value",
    "unit",
    "taken_at",
    "is_replacement",
    "note",
}
ASSET_COLUMNS = {
    "code",
    "name",
    "asset_type",
    "criticality",
    "status",
    "location_code",
    "parent_code",
    "serial_number",
    "manufacturer",
    "model",
    "install_date",
    "warranty_end",
    "latitude",
    "longitude",
}
DIRECT_COLUMNS = ASSET_COLUMNS - {"status", "location_code", "parent_code"}
TRUE_WORDS = {"1", "true", "yes", "y", "x"}
FALSE_WORDS = {"", "0", "false", "no", "n"}


def _refuse_file(message: str, **details: Any) -> ValidationFailed:
    return ValidationFailed(message, details={"file": message, **details})


def read_csv(
    upload: BinaryIO | bytes, *, allowed: set[str], required: set[str], max_rows: int
) -> list[tuple[int, dict[str, str]]]:
    """``(line number, row)`` pairs of a CSV upload, or ValidationFailed for the whole file."""
    raw = upload if isinstance(upload, bytes) else upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise _refuse_file(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in raw:
        raise _refuse_file("This is not a CSV text file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse_file("The file is not UTF-8 text; export it as CSV (UTF-8).") from None
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise _refuse_file("The file is empty or has no header row.")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
        unknown = [h for h in header if h not in allowed]
        missing = sorted(required - set(header))
        if unknown or missing or len(set(header)) != len(header):
            raise _refuse_file(
                "The header row does not match the expected columns.",
                expected=sorted(allowed),
                required=sorted(required),
                unknown=unknown,
                missing=missing,
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= max_rows:
                raise _refuse_file(f"The file has more than {max_rows} rows; split it.")
            if len(cells) != len(header):
                raise _refuse_file(
                    f"Line {reader.line_num} has {len(cells)} fields where the header has "
                    f"{len(header)}."
                )
            rows.append(
                (reader.line_num, {h: c.strip() for h, c in zip(header, cells, strict=True)})
            )
    except csv.Error as exc:
        raise _refuse_file(f"The file is not valid CSV: {exc}.") from None
    if not rows:
        raise _refuse_file("The file has a header but no rows.")
    return rows


@dataclass
class RowResult:
    row: int
    status: str  # stored | duplicate | refused
    id: str | None = None
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchReport:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(r.status == "stored" for r in self.rows)

    @property
    def refused(self) -> int:
        return sum(r.status == "refused" for r in self.rows)

    @property
    def duplicates(self) -> int:
        return sum(r.status == "duplicate" for r in self.rows)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def _record_row(membership: Membership, number: int, row: dict[str, Any], source: str) -> RowResult:
    org_id = membership.organization_id
    replacement = _flag(row.get("is_replacement"))
    try:
        if replacement is None:
            raise ValidationFailed(details={"fields": {"is_replacement": "Use true or false."}})
        meter = meter_for_reading(
            organization_id=org_id,
            meter_id=row.get("meter_id"),
            asset_code=str(row.get("asset_code") or ""),
            meter_name=str(row.get("meter") or ""),
        )
        reading, created = reading_record(
            membership=membership,
            organization_id=org_id,
            meter_id=meter.public_id,
            value=row.get("value"),
            taken_at=row.get("taken_at"),
            unit=row.get("unit"),
            source=source,
            is_replacement=replacement,
            note=str(row.get("note") or ""),
            reading_id=row.get("id"),
        )
    except DomainError as exc:
        fields = exc.details.get("fields") or {"meter": exc.message}
        return RowResult(row=number, status="refused", message=exc.message, errors=fields)
    return RowResult(
        row=number, status="stored" if created else "duplicate", id=str(reading.public_id)
    )


def readings_record_batch(
    *, membership: Membership, rows: list[dict[str, Any]], source: str = ReadingSource.TECHNICIAN
) -> BatchReport:
    """Record each row on its own: a refused row never blocks the others."""
    if not rows:
        raise ValidationFailed("The batch is empty.", details={"readings": "At least one row."})
    if len(rows) > MAX_BATCH_ROWS:
        raise ValidationFailed(
            f"At most {MAX_BATCH_ROWS} readings per batch.", details={"readings": "Too many rows."}
        )
    errors = FieldErrors()
    source = clean_choice(errors, "source", source, ReadingSource.values)
    errors.raise_if_any()
    report = BatchReport()
    for index, row in enumerate(rows, start=1):
        report.rows.append(_record_row(membership, index, row, source))
    return report


def readings_import_csv(*, membership: Membership, upload: BinaryIO | bytes) -> BatchReport:
    """Columns: ``meter_id`` or ``asset_code`` + ``meter``; ``value``, ``taken_at``; optional
    ``unit``, ``is_replacement``, ``note``. Row numbers in the report are the file's lines."""
    rows = read_csv(
        upload, allowed=READING_COLUMNS, required={"value", "taken_at"}, max_rows=MAX_CSV_ROWS
    )
    header = set(rows[0][1])
    if "meter_id" not in header and not {"asset_code", "meter"} <= header:
        raise _refuse_file(
            "Name the meter with a meter_id column, or asset_code and meter columns.",
            expected=sorted(READING_COLUMNS),
        )
    report = BatchReport()
    for number, row in rows:
        report.rows.append(_record_row(membership, number, row, ReadingSource.IMPORT))
    return report


@dataclass
class RegisterRow:
    row: int
    code: str
    action: str  # create | update | unchanged | error
    changes: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RegisterReport:
    dry_run: bool
    applied: bool = False
    rows: list[RegisterRow] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(r.action == action for r in self.rows)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def errors(self) -> int:
        return self.count("error")


class _Rollback(Exception):
    pass


def asset_register_import(
    *, membership: Membership, upload: BinaryIO | bytes, dry_run: bool
) -> RegisterReport:
    """Create or update assets by ``code`` (empty cells leave a field as it is). Parents may
    refer to rows further down. Nothing is stored on a dry run or if any row has an error."""
    require(membership, "assets.manage")
    rows = read_csv(upload, allowed=ASSET_COLUMNS, required={"code"}, max_rows=MAX_CSV_ROWS)
    report = RegisterReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            _import_rows(membership, rows, report)
            if dry_run or any(r.action == "error" for r in report.rows):
                raise _Rollback
            report.applied = True
    except _Rollback:
        pass
    return report


def _import_rows(
    membership: Membership, rows: list[tuple[int, dict[str, str]]], report: RegisterReport
) -> None:
    org_id = membership.organization_id
    codes = [row.get("code", "").strip() for _, row in rows]
    existing = {
        a.code.lower(): a
        for a in Asset.objects.select_for_update()
        .annotate(code_lower=Lower("code"))
        .filter(organization_id=org_id, code_lower__in=[c.lower() for c in codes if c])
    }
    locations = {loc.code.lower(): loc for loc in Location.objects.filter(organization_id=org_id)}
    seen: set[str] = set()
    pending_parents: list[tuple[RegisterRow, Asset, str]] = []
    for (number, row), code in zip(rows, codes, strict=True):
        result = RegisterRow(row=number, code=code, action="error")
        report.rows.append(result)
        errors = FieldErrors()
        if not code:
            result.errors = {"code": "This field is required."}
            continue
        if code.lower() in seen:
            result.errors = {"code": "This code appears more than once in the file."}
            continue
        seen.add(code.lower())
        asset = existing.get(code.lower())
        creating = asset is None
        if creating:
            asset = Asset(organization_id=org_id)
        # An empty cell leaves the field as it is; a new asset still needs its name.
        changes: dict[str, Any] = {k: v for k, v in row.items() if k in DIRECT_COLUMNS and v}
        if creating:
            changes.setdefault("name", "")
        location_code = row.get("location_code", "")
        if location_code:
            location = locations.get(location_code.lower())
            if location is None:
                errors.add("location_code", f"No location with code {location_code}.")
            else:
                changes["location"] = location
        changed, _, _ = asset_apply_fields(asset, changes, errors)
        status = row.get("status", "")
        if status:
            status = clean_choice(errors, "status", status, AssetStatus.values)
        if errors.fields:
            result.errors = errors.fields
            continue
        if creating:
            asset.status = status or AssetStatus.OPERATING
            asset.status_changed_at = None
            _save_new(asset, None)
            _record_status_initial(asset, membership)
            result.action = "create"
            result.changes = sorted(k for k, v in row.items() if v)
        else:
            save_asset_changes(asset, changed, None, False)
            if status and status != asset.status:
                apply_status(
                    asset, status=status, membership=membership, reason="Asset register import"
                )
                changed.append("status")
            result.action = "update" if changed else "unchanged"
            result.changes = changed
        existing[code.lower()] = asset
        if row.get("parent_code"):
            pending_parents.append((result, asset, row["parent_code"]))
    for result, asset, parent_code in pending_parents:
        parent = existing.get(parent_code.lower())
        if parent is None:
            parent = Asset.objects.filter(organization_id=org_id, code__iexact=parent_code).first()
        if parent is None:
            result.action, result.errors = (
                "error",
                {"parent_code": f"No asset with code {parent_code}."},
            )
            continue
        errors = FieldErrors()
        asset.refresh_from_db(fields=["path", "depth", "parent"])
        parent.refresh_from_db(fields=["path", "depth"])
        _, new_parent, moves = asset_apply_fields(asset, {"parent": parent}, errors)
        if errors.fields:
            result.action, result.errors = "error", errors.fields
            continue
        if moves:
            save_asset_changes(asset, [], new_parent, True)
            if result.action == "unchanged":
                result.action = "update"
            if "parent" not in result.changes:
                result.changes.append("parent")
