"""The two sync tables drop the single-column indexes no read uses: organisation, connection
(led by the composite indexes), creation and change time. Each cost every sync write.

Only the indexes go: the foreign-key constraints stay as they are. (A plain ``AlterField`` to
``db_index=False`` would drop and re-add each constraint, checking every row under an exclusive
lock, and rebuild each table four times on SQLite.) On PostgreSQL they are dropped
concurrently, so sync writes and reads go on meanwhile."""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = {
    "integrations_externalreference": [
        "organization_id",
        "connection_id",
        "created_at",
        "updated_at",
    ],
    "integrations_syncedrecord": ["organization_id", "connection_id", "created_at", "updated_at"],
}


def _single_column_indexes(schema_editor, table: str) -> dict[str, str]:
    """Column -> name of the plain (not unique, not primary key) index on just that column."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        spec["columns"][0]: name
        for name, spec in constraints.items()
        if spec["index"]
        and not spec["unique"]
        and not spec["primary_key"]
        and len(spec["columns"]) == 1
    }


def drop_indexes(apps, schema_editor) -> None:
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    for table, columns in DROPPED.items():
        existing = _single_column_indexes(schema_editor, table)
        for column in columns:
            if column in existing:
                schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {existing[column]}")


def create_indexes(apps, schema_editor) -> None:
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    for table, columns in DROPPED.items():
        existing = _single_column_indexes(schema_editor, table)
        for column in columns:
            if column not in existing:
                name = schema_editor._create_index_name(table, [column])
                schema_editor.execute(
                    f"CREATE INDEX{concurrently} IF NOT EXISTS {name} ON {table} ({column})"
                )


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0002_idempotency_key"),
        ("integrations", "0002_outbox_next_attempt"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_indexes, create_indexes, elidable=False)
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="externalreference",
                    name="connection",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="references",
                        to="integrations.connection",
                    ),
                ),
                migrations.AlterField(
                    model_name="externalreference",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="externalreference",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="externalreference",
                    name="updated_at",
                    field=models.DateTimeField(auto_now=True),
                ),
                migrations.AlterField(
                    model_name="syncedrecord",
                    name="connection",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="integrations.connection",
                    ),
                ),
                migrations.AlterField(
                    model_name="syncedrecord",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="syncedrecord",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="syncedrecord",
                    name="updated_at",
                    field=models.DateTimeField(auto_now=True),
                ),
            ],
        )
    ]
