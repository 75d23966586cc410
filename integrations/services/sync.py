"""The sync engine: one run reads one entity of one connection, page by page.

* The run's ``since`` is fixed at start: the last completed run's watermark minus a look-back
  window (late writes with an older modification time). A run with no watermark yet (the
  connection's first) reads everything, as a full run, unless the connection sets
  ``first_sync_days``: then it reads that far back and says so in the run's ``warnings``.
* Each page is written in one transaction together with the checkpoint cursor and the run's
  counts, so a worker killed between pages resumes from the next page and counts nothing twice.
  Nothing is sent to the ERP inside that transaction: a page is fetched before it opens, and on
  PostgreSQL the next page is fetched, mapped and serialised on a thread of its own while the
  current one is written (connectors/readahead.py); the transaction never waits for it, and a
  page is applied and checkpointed only after every page before it.
* Change detection: a record whose unified payload hashes the same as last time writes nothing.
* Deletions are soft, and inferred (by id-set comparison) only when a full run completed.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from fieldops.durability import commits_flushed_together
from integrations.connectors.base import Connector, Page, RemoteRecord
from integrations.connectors.errors import (
    CircuitOpen,
    ConnectorError,
    Timeout,
    Unsupported,
)
from integrations.connectors.http import spread
from integrations.connectors.readahead import read_ahead
from integrations.models import (
    ACTIVE_RUN_STATUSES,
    Connection,
    ConnectionStatus,
    ExternalReference,
    SyncCheckpoint,
    SyncRun,
    SyncRunStatus,
)
from integrations.services import local
from integrations.services.alerts import sync_alert_raise
from integrations.services.connections import (
    connection_publish,
    connection_require_entity,
    connection_set_status,
    status_for_error,
)
from integrations.services.sync_writes import PageRow, ReferenceStatistics, writer_for
from integrations.unified import to_json_many
from integrations.webhooks.models import AlertKind

logger = logging.getLogger("integrations.sync")

LOOKBACK = timedelta(minutes=5)
PAGE_SIZE = 200
MAX_ATTEMPTS = 5
MAX_ERRORS_KEPT = 50
CHECKPOINT_MOVED_RETRY = 5.0
# A run nobody has touched for this long lost its worker (killed, or its message lost with the
# filesystem broker, or not yet redelivered by Redis). Longer than the task's time limit and its
# longest retry countdown, so a live run is never picked up twice.
STALE_AFTER = timedelta(hours=2)


class RetryLater(Exception):
    """A transient ERP fault, or a checkpoint not where the run left it: the run stays running
    and the task comes back after ``delay``, resuming from the checkpoint the database holds."""

    def __init__(self, delay: float):
        self.delay = delay
        super().__init__(f"retry in {delay:.0f}s")


class RetriesExhausted(ConnectorError):
    """A run that used up its attempts (MAX_ATTEMPTS), whatever stopped each one."""

    code = "RETRIES_EXHAUSTED"


class InternalFailure(ConnectorError):
    """A fault of FieldOps's own while running (not the ERP's): fails the run, not the
    connection."""

    code = "INTERNAL_ERROR"


def sync_run_start(*, connection: Connection, entity: str, full: bool = False) -> SyncRun:
    """Queue a run, or return the one already queued or running for this entity. An entity
    the connection's system does not provide is refused (ValidationFailed, 422)."""
    from integrations.tasks import sync_run_execute_task

    connection_require_entity(connection=connection, entity=entity)
    with transaction.atomic():
        active = SyncRun.objects.filter(
            connection=connection, entity=entity, status__in=ACTIVE_RUN_STATUSES
        ).first()
        if active:
            return active
        try:
            with transaction.atomic():
                run = SyncRun.objects.create(
                    organization_id=connection.organization_id,
                    connection=connection,
                    entity=entity,
                    full=full,
                )
        except IntegrityError:  # a concurrent start won the race
            return SyncRun.objects.get(
                connection=connection, entity=entity, status__in=ACTIVE_RUN_STATUSES
            )
        sync_run_execute_task.delay_on_commit(run.pk)
    return run


def sync_runs_resume_stale(*, older_than: timedelta = STALE_AFTER) -> list[int]:
    """Dispatch again the queued or running runs that stopped moving; each resumes from its
    checkpoint, so pages already applied are neither lost nor written twice."""
    from integrations.tasks import sync_run_execute_task

    now = timezone.now()
    cutoff = now - older_than
    resumed = []
    for pk, attempts in SyncRun.objects.filter(
        status__in=ACTIVE_RUN_STATUSES, updated_at__lte=cutoff
    ).values_list("pk", "attempts"):
        # Compare-and-set on updated_at: two sweeps dispatch a stale run once.
        if not SyncRun.objects.filter(pk=pk, updated_at__lte=cutoff).update(updated_at=now):
            continue
        if attempts >= MAX_ATTEMPTS:
            # Its worker died on every attempt (killed mid-page, out of memory ...): once more
            # would die the same way. Fail it, and tell the admins.
            _give_up(pk, f"Stopped after {attempts} attempts that did not finish.")
            continue
        sync_run_execute_task.delay_on_commit(pk)
        resumed.append(pk)
    return resumed


def _give_up(run_id: int, reason: str) -> None:
    """Fail a run that used up its attempts, with an alert row and a system.error event."""
    run = SyncRun.objects.select_related("connection").get(pk=run_id)
    if run.status not in ACTIVE_RUN_STATUSES:
        return
    _fail(run, RetriesExhausted(reason))
    sync_alert_raise(
        run=run,
        kind=AlertKind.SYNC_GAVE_UP,
        code="sync_gave_up",
        message=f"Sync run {run.public_id} gave up: {reason}",
    )


def _begin(run: SyncRun, checkpoint: SyncCheckpoint) -> None:
    now = timezone.now()
    resuming = run.status == SyncRunStatus.RUNNING and checkpoint.run_id == run.pk
    run.attempts += 1
    if not resuming:
        run.warnings = []
        limit = _first_sync_days(run.connection)
        if run.full:
            run.since = None
        elif checkpoint.watermark:
            run.since = checkpoint.watermark - LOOKBACK
        elif limit:
            run.since = now - timedelta(days=limit)
            run.warnings = [
                {
                    "code": "FIRST_SYNC_LIMITED",
                    "message": f"First sync limited to the last {limit} days by the connection's "
                    f"first_sync_days setting: records last changed before "
                    f"{run.since:%Y-%m-%d %H:%M} UTC were not read. Run a full sync to read them.",
                }
            ]
        else:
            # Nothing synced yet: read everything (and, having read it all, infer deletions).
            run.since, run.full = None, True
        run.status, run.started_at = SyncRunStatus.RUNNING, now
        checkpoint.run, checkpoint.cursor = run, ""
        checkpoint.pending_watermark = checkpoint.watermark
        checkpoint.save(update_fields=["run", "cursor", "pending_watermark", "updated_at"])
    run.save(
        update_fields=[
            "attempts",
            "since",
            "full",
            "warnings",
            "status",
            "started_at",
            "updated_at",
        ]
    )


def _first_sync_days(connection: Connection) -> int | None:
    """The connection's explicit limit on a first sync's look-back, if it sets a valid one."""
    value = (connection.settings or {}).get("first_sync_days")
    try:
        days = int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return None
    return days if days > 0 else None


def sync_run_execute(*, run_id: int, connector: Connector | None = None) -> SyncRun:
    """Run (or resume) a queued/running run to its end. Raises RetryLater on a transient fault
    while attempts remain; any other outcome is recorded on the run."""
    from integrations.connectors.factory import connector_for

    with transaction.atomic():
        run = SyncRun.objects.select_for_update().select_related("connection").get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            return run  # already finished: a redelivered task does nothing
        exhausted = run.attempts >= MAX_ATTEMPTS
        if not exhausted:
            checkpoint, _ = SyncCheckpoint.objects.select_for_update().get_or_create(
                connection=run.connection, entity=run.entity
            )
            _begin(run, checkpoint)
    if exhausted:
        # Redelivered (or swept) after its last attempt: the cap holds whoever dispatched it.
        _give_up(run.pk, f"Stopped after {run.attempts} attempts.")
        run.refresh_from_db()
        return run
    connection = run.connection
    own_connector = connector is None
    connector = connector or connector_for(connection)
    page_size = int(connection.settings.get("page_size", PAGE_SIZE))

    def read(cursor: str | None) -> tuple[Page, list[PageRow]]:
        try:
            page = connector.list_page(
                run.entity, since=run.since, cursor=cursor, page_size=page_size
            )
            unified = to_json_many([record.unified for record in page.records])
        except ConnectorError:
            raise
        except Exception as error:
            # A connector's own fault reading a page (not the ERP's, not one record's: those
            # are set aside by map_rows) fails the run, saying so, instead of leaving it
            # ``running``. Faults writing a page propagate: the task retries from the checkpoint.
            logger.exception("Sync run %s: reading a page failed", run.pk)
            raise InternalFailure(f"{type(error).__name__}: {str(error)[:300]}") from error
        return page, [PageRow(r, u) for r, u in zip(page.records, unified, strict=True)]

    db = connections[router.db_for_write(ExternalReference)]
    statistics = ReferenceStatistics(db)
    # Pages that only fill the synced copy commit without waiting for the disk, and the run waits
    # once for all of them when its pages are written (fieldops.durability): a crash can lose
    # the last ones, but each page's checkpoint and counts commit with it, and the next page's
    # checkpoint is compared-and-set, so lost pages are read from the ERP again. Projected
    # pages publish events once committed: they wait as usual.
    relaxed = nullcontext() if local.handles(run.entity) else commits_flushed_together(db.alias)
    try:
        with (
            relaxed,
            read_ahead(
                read,
                cursor=checkpoint.cursor or None,
                next_cursor=lambda item: item[0].next_cursor,
                # PostgreSQL writes in another process, SQLite in this one: nothing to overlap.
                enabled=db.vendor == "postgresql",
            ) as pages,
        ):
            for page, rows in pages:
                statistics.grew(_apply_page(run, checkpoint, page, rows))
        _complete(run, checkpoint)
    except ConnectorError as error:
        _fail_or_retry(run, error)
    finally:
        if own_connector:
            connector.http.close()
    run.refresh_from_db()
    return run


def _apply_page(run: SyncRun, checkpoint: SyncCheckpoint, page: Page, rows: list[PageRow]) -> int:
    """Writes the page with its checkpoint; returns how many references it created."""
    with transaction.atomic():
        errors = [{"remote_id": f.remote_id, "error": f.error} for f in page.failures]
        counts = _upsert_rows(run=run, rows=rows, errors=errors)
        failed = len(page.failures) + counts["failed"]
        watermark = checkpoint.pending_watermark
        for record in page.records:
            moment = record.unified.remote_updated_at
            if moment and (watermark is None or moment > watermark):
                watermark = moment
        # Compare-and-set on the cursor this page was read from: if the checkpoint is not where
        # this worker left it (another worker took the run over, or a page committed without
        # waiting for the disk was lost in a database crash), this page is not applied and the
        # run resumes from the checkpoint the database holds.
        moved_on = SyncCheckpoint.objects.filter(
            pk=checkpoint.pk, run=run, cursor=checkpoint.cursor
        ).update(
            cursor=page.next_cursor or "", pending_watermark=watermark, updated_at=timezone.now()
        )
        if not moved_on:
            raise RetryLater(CHECKPOINT_MOVED_RETRY)
        checkpoint.cursor = page.next_cursor or ""
        checkpoint.pending_watermark = watermark
        updates: dict[str, Any] = {
            "pages": F("pages") + 1,
            "created": F("created") + counts["created"],
            "updated": F("updated") + counts["updated"],
            "unchanged": F("unchanged") + counts["unchanged"],
            "failed": F("failed") + failed,
            "updated_at": timezone.now(),
        }
        if errors:
            run.refresh_from_db(fields=["errors"])
            updates["errors"] = (run.errors + errors)[:MAX_ERRORS_KEPT]
        SyncRun.objects.filter(pk=run.pk).update(**updates)
    return counts["created"]


def upsert_records(
    *, run: SyncRun, records: list[RemoteRecord], errors: list[dict[str, str]] | None = None
) -> dict[str, int]:
    """Idempotent upsert of one page through the external-reference table (in the caller's
    transaction). Unchanged records write nothing, except the seen-mark of a full run. Records
    the local services refuse are counted as failed and described in ``errors``."""
    return _upsert_rows(run=run, rows=[PageRow(record) for record in records], errors=errors)


def _upsert_rows(
    *, run: SyncRun, rows: list[PageRow], errors: list[dict[str, str]] | None = None
) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    errors = errors if errors is not None else []
    if not rows:
        return counts
    connection = run.connection
    by_id = {row.remote_id: row for row in rows}
    db = connections[router.db_for_write(ExternalReference)]
    writer = writer_for(db, run=run, now=timezone.now())
    existing = {ref.remote_id: ref for ref in writer.existing(list(by_id))}
    now = writer.now
    new_rows: list[PageRow] = []
    changed_refs: list[ExternalReference] = []
    unchanged_ids: list[int] = []
    for remote_id, row in by_id.items():
        ref = existing.get(remote_id)
        deleted = row.record.unified.is_deleted
        if ref is None:
            new_rows.append(row)
        elif (ref.payload_hash == row.digest and not (ref.is_deleted and not deleted)) or _stale(
            ref, row.record
        ):
            unchanged_ids.append(ref.pk)
        else:
            ref.payload_hash = row.digest
            ref.remote_updated_at = row.record.unified.remote_updated_at
            if deleted and not ref.is_deleted:
                ref.deleted_at = now
            if not deleted:
                ref.deleted_at = None
            ref.is_deleted = deleted
            if run.full:
                ref.last_seen_run = run
            ref.updated_at = now
            changed_refs.append(ref)
    new_refs = writer.create(new_rows, keep=local.handles(run.entity))
    if changed_refs:
        writer.update(changed_refs, by_id)
    if unchanged_ids and run.full:
        ExternalReference.objects.filter(pk__in=unchanged_ids).update(last_seen_run=run)
    touched = new_refs + changed_refs
    failures: dict[int, str] = {}
    if touched:
        failures = local.upsert(
            entity=run.entity,
            connection=connection,
            items=[(ref, by_id[ref.remote_id].record.unified) for ref in touched],
        )
    if failures:
        # Kept in the synced cache, but with no hash: the next run applies it again.
        ExternalReference.objects.filter(pk__in=list(failures)).update(payload_hash="")
    created_failed = sum(1 for ref in new_refs if ref.pk in failures)
    counts.update(
        created=len(new_rows) - created_failed,
        updated=sum(1 for ref in changed_refs if ref.pk not in failures),
        unchanged=len(unchanged_ids),
        failed=len(failures),
    )
    errors.extend(
        {"remote_id": ref.remote_id, "error": failures[ref.pk]}
        for ref in touched
        if ref.pk in failures
    )
    return counts


def _stale(ref: ExternalReference, record: RemoteRecord) -> bool:
    """An older version of a record than the one already applied (a late webhook, a replayed
    page): stale never overwrites newer."""
    moment = record.unified.remote_updated_at
    return bool(moment and ref.remote_updated_at and moment < ref.remote_updated_at)


def _complete(run: SyncRun, checkpoint: SyncCheckpoint) -> None:
    now = timezone.now()
    with transaction.atomic():
        deleted = 0
        if run.full:
            gone = ExternalReference.objects.filter(
                connection=run.connection, entity=run.entity, is_deleted=False
            ).filter(Q(last_seen_run__isnull=True) | ~Q(last_seen_run=run))
            gone_ids = list(gone.values_list("pk", flat=True))
            deleted = ExternalReference.objects.filter(pk__in=gone_ids).update(
                is_deleted=True, deleted_at=now, updated_at=now
            )
            local.mark_deleted(entity=run.entity, connection=run.connection, reference_ids=gone_ids)
            checkpoint.last_full_run_at = now
        checkpoint.watermark = checkpoint.pending_watermark
        checkpoint.cursor, checkpoint.run = "", None
        checkpoint.save(
            update_fields=["watermark", "cursor", "run", "last_full_run_at", "updated_at"]
        )
        failed = SyncRun.objects.filter(pk=run.pk).values_list("failed", flat=True).get()
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRunStatus.COMPLETED_WITH_ERRORS if failed else SyncRunStatus.COMPLETED,
            finished_at=now,
            deleted=deleted,
            error_code="",
            error_message="",
            updated_at=now,
        )
        run.refresh_from_db()
        connection_set_status(connection=run.connection, status=ConnectionStatus.ONLINE)
        connection_publish(run.connection, "sync.completed", _event_data(run))


def _fail_or_retry(run: SyncRun, error: ConnectorError) -> None:
    now = timezone.now()
    run.refresh_from_db(fields=["errors", "attempts", "pages", "started_at"])
    note = {
        "at": now.isoformat(),
        "code": error.code,
        "error": error.message[:500],
        "pages": run.pages,
    }
    if isinstance(error, Timeout) and _timed_out_before(run):
        # Two attempts in a row ended by calls slower than the time-out, no page read between:
        # the ERP is too slow for the time-out, and waiting for it again only lengthens the run.
        taken = (now - run.started_at).total_seconds() if run.started_at else 0.0
        error = Timeout(
            f"{error.message} Two attempts in a row timed out with no page read between them: "
            f"the run stopped after {taken:.0f}s. Raise the connection's timeout setting if "
            f"the ERP is slow by design.",
            status=error.status,
        )
        note["error"] = error.message[:500]
    elif error.retryable and run.attempts < MAX_ATTEMPTS:
        SyncRun.objects.filter(pk=run.pk).update(
            errors=([*run.errors, note])[:MAX_ERRORS_KEPT], updated_at=now
        )
        if isinstance(error, CircuitOpen):
            # The ERP is down as far as we know: say so now, not when the run gives up. (Each
            # wait for the breaker is one of the run's attempts.)
            connection_set_status(
                connection=run.connection, status=status_for_error(error), reason=error.message
            )
        if error.retry_after is not None:
            delay = spread(error.retry_after)
        else:
            delay = 30 * 2**run.attempts
        raise RetryLater(min(delay, 3600))
    _fail(run, error, note)


def _timed_out_before(run: SyncRun) -> bool:
    last = run.errors[-1] if run.errors else None
    return bool(last and last.get("code") == Timeout.code and last.get("pages") == run.pages)


def _fail(run: SyncRun, error: ConnectorError, note: dict[str, Any] | None = None) -> None:
    now = timezone.now()
    if note is None:
        run.refresh_from_db(fields=["errors", "attempts"])
        note = {"at": now.isoformat(), "code": error.code, "error": error.message[:500]}
    logger.warning("Sync run %s failed: %s %s", run.pk, error.code, error.message)
    with transaction.atomic():
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRunStatus.FAILED,
            finished_at=now,
            error_code=error.code,
            error_message=error.message[:1000],
            errors=([*run.errors, note])[:MAX_ERRORS_KEPT],
            updated_at=now,
        )
        # The cursor is dropped: the next run starts again from the last completed watermark,
        # and re-reading pages already applied writes nothing (hash unchanged).
        SyncCheckpoint.objects.filter(connection=run.connection, entity=run.entity, run=run).update(
            cursor="", run=None
        )
        run.refresh_from_db()
        if not isinstance(error, Unsupported | InternalFailure | RetriesExhausted):
            # An entity the system does not provide (or our own fault, or a run that kept
            # dying) is this run's, not the connection's.
            connection_set_status(
                connection=run.connection, status=status_for_error(error), reason=error.message
            )
        connection_publish(run.connection, "sync.failed", _event_data(run))


def _event_data(run: SyncRun) -> dict[str, Any]:
    return {
        "connection_id": str(run.connection.public_id),
        "run_id": str(run.public_id),
        "entity": run.entity,
        "status": run.status,
        "full": run.full,
        "since": run.since.isoformat() if run.since else None,
        "warnings": run.warnings,
        "counts": {
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "failed": run.failed,
            "deleted": run.deleted,
        },
        "error": {"code": run.error_code, "message": run.error_message} if run.error_code else None,
    }


def sync_run_give_up(*, run_id: int, reason: str) -> None:
    """The task exhausted its retries (or its time limit): fail the run with what we know."""
    from integrations.connectors.errors import Unavailable

    run = SyncRun.objects.select_related("connection").get(pk=run_id)
    if run.status in ACTIVE_RUN_STATUSES:
        run.attempts = MAX_ATTEMPTS
        SyncRun.objects.filter(pk=run.pk).update(attempts=MAX_ATTEMPTS)
        _fail_or_retry(run, Unavailable(reason))
