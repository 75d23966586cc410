"""The synced copy moves into ExternalReference: one row per remote record instead of a reference
plus a cached record, with only the connection's foreign key checked by the database, and no
index on the public id (derived from the unique connection, entity and remote id) or the seen
mark (read once a full run completes)."""

import uuid

import django.db.models.deletion
from django.db import migrations, models, router

BATCH = 500
REFERENCES = "integrations_externalreference"
RECORDS = "integrations_syncedrecord"


def _batches(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _migrates(apps, schema_editor):
    """Whether the routers let these models onto this database (the embedded default migrates a
    second one, for the channel layer; each database's rows are copied on that database)."""
    model = apps.get_model("integrations", "ExternalReference")
    return router.allow_migrate_model(schema_editor.connection.alias, model)


def copy_into_references(apps, schema_editor):
    if not _migrates(apps, schema_editor):
        return
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":  # one statement, not a row at a time
        schema_editor.execute(
            f"UPDATE {REFERENCES} AS r SET unified = s.unified, raw = s.raw,"
            " updated_at = GREATEST(r.updated_at, s.updated_at)"
            f" FROM {RECORDS} AS s WHERE s.reference_id = r.id"
        )
        return
    ExternalReference = apps.get_model("integrations", "ExternalReference")
    SyncedRecord = apps.get_model("integrations", "SyncedRecord")
    records = SyncedRecord.objects.using(db).order_by("pk").values_list(
        "reference_id", "unified", "raw", "updated_at"
    )
    for batch in _batches(records.iterator(chunk_size=BATCH)):
        _copy(ExternalReference.objects.using(db), batch)


def _copy(references, batch):
    by_id = {reference_id: rest for reference_id, *rest in batch}
    refs = list(references.filter(pk__in=list(by_id)))
    for ref in refs:
        ref.unified, ref.raw, updated_at = by_id[ref.pk]
        # The cache's list is ordered by this: the later of the two rows' changes.
        ref.updated_at = max(ref.updated_at, updated_at)
    references.bulk_update(refs, ["unified", "raw", "updated_at"])


def copy_back(apps, schema_editor):
    if not _migrates(apps, schema_editor):
        return
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"INSERT INTO {RECORDS} (reference_id, organization_id, connection_id, entity,"
            " unified, raw, remote_updated_at, is_deleted, created_at, updated_at)"
            " SELECT id, organization_id, connection_id, entity, unified, raw,"
            f" remote_updated_at, is_deleted, created_at, updated_at FROM {REFERENCES}"
        )
        return
    ExternalReference = apps.get_model("integrations", "ExternalReference")
    SyncedRecord = apps.get_model("integrations", "SyncedRecord")
    refs = ExternalReference.objects.using(db).order_by("pk").iterator(chunk_size=BATCH)
    for batch in _batches(refs):
        _copy_back(SyncedRecord.objects.using(db), batch)


def _copy_back(records, refs):
    SyncedRecord = records.model
    created = records.bulk_create(
        [
            SyncedRecord(
                reference_id=ref.pk,
                organization_id=ref.organization_id,
                connection_id=ref.connection_id,
                entity=ref.entity,
                unified=ref.unified,
                raw=ref.raw,
                remote_updated_at=ref.remote_updated_at,
                is_deleted=ref.is_deleted,
            )
            for ref in refs
        ]
    )
    # bulk_create stamped them now (auto_now); an update keeps the references' own times.
    for record, ref in zip(created, refs, strict=True):
        record.created_at, record.updated_at = ref.created_at, ref.updated_at
    records.bulk_update(created, ["created_at", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_idempotency_key"),
        ("integrations", "0003_sync_tables_carry_only_the_indexes_they_read"),
    ]

    operations = [
        migrations.AddField(
            model_name="externalreference",
            name="unified",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="externalreference",
            name="raw",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(copy_into_references, copy_back, elidable=False),
        migrations.DeleteModel(name="SyncedRecord"),
        migrations.RemoveIndex(model_name="externalreference", name="extref_local"),
        migrations.RemoveIndex(model_name="externalreference", name="extref_seen"),
        migrations.AlterField(
            model_name="externalreference",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddIndex(
            model_name="externalreference",
            index=models.Index(
                condition=models.Q(("local_id__isnull", False)),
                fields=["local_model", "local_id"],
                name="extref_local",
            ),
        ),
        migrations.AddIndex(
            model_name="externalreference",
            index=models.Index(
                fields=["connection", "entity", "updated_at", "id"], name="extref_list"
            ),
        ),
        migrations.AlterField(
            model_name="externalreference",
            name="last_seen_run",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="integrations.syncrun",
            ),
        ),
        migrations.AlterField(
            model_name="externalreference",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
    ]
