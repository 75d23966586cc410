"""How one page of a sync run is serialised and written.

* Each record is serialised once (PageRow): the unified record as canonical JSON, hashed for
  change detection and written as is, and the raw record as JSON.
* A writer reads the page's existing references (without their synced copies) and writes the
  new and changed ones, one row per record: PostgresWriter (COPY and UPDATE ... FROM unnest) on
  PostgreSQL, OrmWriter elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from django.db import NotSupportedError, ProgrammingError, transaction

from integrations.connectors.base import RemoteRecord
from integrations.models import SYNCED_COPY_FIELDS, Connection, ExternalReference, SyncRun
from integrations.unified import to_json

logger = logging.getLogger("integrations.sync")


def unified_id(connection: Connection, entity: str, remote_id: str) -> uuid.UUID:
    """The record's FieldOps id: the same whether it is read live or from the synced copy."""
    return uuid.uuid5(connection.public_id, f"{entity}/{remote_id}")


def unified_id_texts(connection: Connection, entity: str, remote_ids: list[str]) -> list[str]:
    """``str(unified_id(...))`` of each, for COPY: uuid5's own algorithm (RFC 4122: SHA-1 of
    namespace and name, version and variant bits set) without building a UUID object only to
    turn it back into text, a third of the time."""
    namespace = connection.public_id.bytes
    texts = []
    for remote_id in remote_ids:
        name = namespace + f"{entity}/{remote_id}".encode()
        digest = bytearray(hashlib.sha1(name, usedforsecurity=False).digest())
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        h = digest[:16].hex()
        texts.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return texts


_CANONICAL = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def canonical_json(unified: dict[str, Any]) -> str:
    """Sorted keys, no spaces, non-ASCII escaped: the text that is hashed.

    orjson writes it about ten times faster than ``json.dumps`` and, for ASCII output of JSON
    types, byte for byte the same, so the hashes stored before it stay valid. A unified record
    has no floats (amounts are decimal strings), where the two would differ. Non-ASCII text
    (orjson has no ``ensure_ascii``), DEL (which ``json`` escapes) and whatever orjson refuses
    (an int beyond 64 bits, a date) take ``json.dumps``."""
    try:
        data = orjson.dumps(unified, option=_CANONICAL)
    except TypeError:
        pass
    else:
        if data.isascii() and b"\x7f" not in data:
            return data.decode()
    return json.dumps(unified, sort_keys=True, separators=(",", ":"), default=str)


def payload_hash(unified: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(unified).encode()).hexdigest()


def raw_json(raw: dict[str, Any]) -> str:
    """The raw record as JSON for the jsonb column (which normalises it: no canonical form)."""
    try:
        return orjson.dumps(raw, default=str, option=_CANONICAL & ~orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # an int beyond 64 bits
        return json.dumps(raw, default=str)


class PageRow:
    """One remote record, serialised once: the unified record as canonical JSON (hashed for
    change detection and written as is) and the raw record as JSON."""

    __slots__ = ("digest", "raw_json", "record", "remote_id", "unified", "unified_json")

    def __init__(self, record: RemoteRecord, unified: dict[str, Any] | None = None):
        self.record = record
        self.remote_id = record.unified.remote_id
        self.unified = to_json(record.unified) if unified is None else unified
        self.unified_json = canonical_json(self.unified)
        self.digest = hashlib.sha256(self.unified_json.encode()).hexdigest()
        self.raw_json = raw_json(record.raw)


def pg_timestamp(moment: datetime | None) -> str | None:
    """A datetime as PostgreSQL text, in UTC when it carries another offset (PostgreSQL refuses
    offsets beyond 15:59)."""
    if moment is None:
        return None
    if moment.utcoffset():
        # beyond year 9999 in UTC: left as it is, for PostgreSQL to refuse (as pgtime does)
        with contextlib.suppress(OverflowError):
            moment = moment.astimezone(UTC)
    return moment.isoformat()


class _Written(NamedTuple):
    """A new reference as far as counting and error reporting need it."""

    pk: int
    remote_id: str


class OrmWriter:
    """SQLite and anything else: bulk_create / bulk_update through the ORM."""

    def __init__(self, *, db: Any, run: SyncRun, now: datetime):
        self.db, self.run, self.now = db, run, now

    def existing(self, remote_ids: list[str]) -> Any:
        return ExternalReference.objects.filter(
            connection=self.run.connection, entity=self.run.entity, remote_id__in=remote_ids
        ).defer(*SYNCED_COPY_FIELDS)

    def _new_ref(self, row: PageRow, pk: int | None = None) -> ExternalReference:
        run, unified = self.run, row.record.unified
        connection = run.connection
        return ExternalReference(
            pk=pk,
            public_id=unified_id(connection, run.entity, row.remote_id),
            organization_id=connection.organization_id,
            connection=connection,
            system=connection.system,
            entity=run.entity,
            remote_id=row.remote_id,
            payload_hash=row.digest,
            remote_updated_at=unified.remote_updated_at,
            is_deleted=unified.is_deleted,
            deleted_at=self.now if unified.is_deleted else None,
            last_seen_run=run if run.full else None,
            unified=row.unified,
            raw=row.record.raw,
            created_at=self.now,
            updated_at=self.now,
        )

    def create(self, rows: list[PageRow], *, keep: bool) -> list[ExternalReference]:
        if not rows:
            return []
        refs = ExternalReference.objects.bulk_create([self._new_ref(row) for row in rows])
        if any(ref.pk is None for ref in refs):  # a backend that returns no ids
            ids = dict(
                self.existing([ref.remote_id for ref in refs]).values_list("remote_id", "pk")
            )
            for ref in refs:
                ref.pk = ids[ref.remote_id]
        return refs

    def update(self, refs: list[ExternalReference], rows: dict[str, PageRow]) -> None:
        for ref in refs:
            row = rows[ref.remote_id]
            ref.unified, ref.raw = row.unified, row.record.raw
        ExternalReference.objects.bulk_update(refs, [*REF_UPDATE_FIELDS, "unified", "raw"])


REF_UPDATE_FIELDS = [
    "payload_hash",
    "remote_updated_at",
    "is_deleted",
    "deleted_at",
    "last_seen_run",
    "updated_at",
]


def _reference_columns_without_the_copy() -> str:
    """What a page's comparison and the local projection read of an existing reference."""
    return ", ".join(
        f.column
        for f in ExternalReference._meta.concrete_fields
        if f.name not in SYNCED_COPY_FIELDS
    )


class PostgresWriter(OrmWriter):
    """PostgreSQL: rows built as tuples straight from the serialised page, new ones written with
    one COPY under ids taken from the sequence in one query, changed ones with one UPDATE ...
    FROM unnest(...). No model instance, no per-field preparation, JSON encoded once.
    (bulk_create's parameter lists of JSON and Django's per-field ``get_db_prep_save`` cost
    several times the write itself.)"""

    def existing(self, remote_ids: list[str]) -> Any:
        # One array parameter instead of a thousand placeholders.
        return ExternalReference.objects.raw(
            f"SELECT {_reference_columns_without_the_copy()}"  # noqa: S608 (names from the model)
            f" FROM {ExternalReference._meta.db_table}"
            " WHERE connection_id = %s AND entity = %s AND remote_id = ANY(%s)",
            [self.run.connection_id, self.run.entity, remote_ids],
        )

    def create(self, rows: list[PageRow], *, keep: bool) -> list[Any]:
        if not rows:
            return []
        run, now = self.run, self.now
        connection = run.connection
        ref_table = ExternalReference._meta.db_table
        seen = run.pk if run.full else None
        with self.db.cursor() as cursor:
            # Statements through Django's wrapper (counted, logged in DEBUG); COPY through the
            # psycopg cursor under it, which Django's wrapper does not expose.
            # The sequence's name in a sub-select, looked up once: as nextval's argument it was
            # looked up for every row, 5 ms of a page's 40.
            cursor.execute(
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id'))::regclass)"
                " FROM generate_series(1, %s)",
                [ref_table, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            public_ids = unified_id_texts(connection, run.entity, [r.remote_id for r in rows])
            # Timestamps go in as text: the datetime dumper registered for every connection
            # (UTC conversion, fieldops.web.pgtime) is Python and cost more than the rest of the
            # row. pg_timestamp converts the same way.
            stamp = pg_timestamp(now)
            head = (stamp, stamp, connection.organization_id, connection.pk, connection.system)
            with cursor.cursor.copy(
                f"COPY {ref_table} (id, created_at, updated_at, organization_id, connection_id,"
                " system, entity, remote_id, public_id, local_model, local_id, payload_hash,"
                " remote_updated_at, is_deleted, deleted_at, last_seen_run_id, unified, raw)"
                " FROM STDIN"
            ) as copy:
                write = copy.write_row
                for pk, public_id, row in zip(ids, public_ids, rows, strict=True):
                    unified = row.record.unified
                    deleted = unified.is_deleted
                    write(
                        (
                            pk,
                            *head,
                            run.entity,
                            row.remote_id,
                            public_id,
                            "",
                            None,
                            row.digest,
                            pg_timestamp(unified.remote_updated_at),
                            deleted,
                            stamp if deleted else None,
                            seen,
                            row.unified_json,
                            row.raw_json,
                        )
                    )
        if keep:  # the local projection takes model instances
            return [self._new_ref(row, pk) for pk, row in zip(ids, rows, strict=True)]
        return [_Written(pk, row.remote_id) for pk, row in zip(ids, rows, strict=True)]

    def update(self, refs: list[ExternalReference], rows: dict[str, PageRow]) -> None:
        now = self.now
        with self.db.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ExternalReference._meta.db_table} AS r SET payload_hash = v.digest,"  # noqa: S608 (table name from the model, values are parameters)
                " remote_updated_at = v.moment, is_deleted = v.deleted, deleted_at = v.deleted_at,"
                " last_seen_run_id = v.seen, unified = v.unified::jsonb, raw = v.raw::jsonb,"
                " updated_at = %s FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[],"
                " %s::boolean[], %s::timestamptz[], %s::bigint[], %s::text[], %s::text[])"
                " AS v(id, digest, moment, deleted, deleted_at, seen, unified, raw)"
                " WHERE r.id = v.id",
                [
                    now,
                    [ref.pk for ref in refs],
                    [ref.payload_hash for ref in refs],
                    [ref.remote_updated_at for ref in refs],
                    [ref.is_deleted for ref in refs],
                    [ref.deleted_at for ref in refs],
                    [ref.last_seen_run_id for ref in refs],
                    [rows[ref.remote_id].unified_json for ref in refs],
                    [rows[ref.remote_id].raw_json for ref in refs],
                ],
            )


class ReferenceStatistics:
    """Keeps PostgreSQL's statistics of the references up with a run that adds many of them.

    A page's existing references are looked up by the unique index, as planned from the table's
    statistics. A first sync of a connection adds references far faster than autovacuum
    analyses the table, and on statistics that knew of few or none of that connection's rows
    the planner took every row of the connection and filtered them instead: each page cost more
    than the one before (13 ms a page at 30,000 references, about 45 ms at 100,000; the whole
    backfill quadratic). As PostgreSQL's documentation advises after a bulk load, the table is
    analysed (the columns its reads filter on) each time a run has doubled what it added: after
    1,000, 2,000, 4,000 ... references, seven times over a backfill of 100,000. Skipped when
    another analysis or a vacuum holds the table; never on other databases."""

    COLUMNS = "connection_id, entity, remote_id, updated_at, last_seen_run_id, local_id"
    FIRST_AFTER = 1000

    def __init__(self, db: Any):
        self.db = db
        self.enabled = db.vendor == "postgresql"
        self.created = 0
        self.next_at = self.FIRST_AFTER

    def grew(self, created: int) -> None:
        self.created += created
        if not self.enabled or self.created < self.next_at:
            return
        self.next_at = 2 * self.created
        table = ExternalReference._meta.db_table
        try:
            with transaction.atomic(using=self.db.alias), self.db.cursor() as cursor:
                cursor.execute(f"ANALYZE (SKIP_LOCKED) {table} ({self.COLUMNS})")
        # PostgreSQL skips a table this role does not own with a warning, raising nothing; a
        # server too old for SKIP_LOCKED refuses the statement. A lost connection is raised.
        except (ProgrammingError, NotSupportedError) as error:
            logger.warning("Could not analyse %s: %s", table, error)
            self.enabled = False


def writer_for(db: Any, *, run: SyncRun, now: datetime) -> OrmWriter:
    """The page writer for the database ``db``: COPY on PostgreSQL, the ORM elsewhere."""
    writer = PostgresWriter if db.vendor == "postgresql" else OrmWriter
    return writer(db=db, run=run, now=now)
