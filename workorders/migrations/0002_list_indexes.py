"""Indexes for the work-order list at size (bench/workorders_api.py, 100,000 work orders).

- ``wo_org_open``: open work newest first. ``status IN (six open statuses)`` cannot be walked in id
  order on ``wo_org_status``; PostgreSQL scanned the primary key backwards and filtered ~20,000
  rows (9 ms). The partial index answers it in under 1 ms, and any subset of the open statuses
  too.
- ``wo_title_trgm`` (PostgreSQL only): the text search runs ``UPPER(title) LIKE '%Q%'``. Without
  statistics on that expression the planner guessed 4 matching rows and sorted all 12,000 real
  ones (113 ms); the expression index gives it statistics (then it walks the id order, 5 ms) and
  makes rare words an index lookup. SQLite has no trigram index; embedded sizes scan fine.
"""

from django.db import migrations, models


def trigram_forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS wo_title_trgm ON workorders_workorder "
        "USING gin (UPPER(title) gin_trgm_ops)"
    )


def trigram_backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS wo_title_trgm")


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "assigned", "dispatched", "en_route", "in_progress", "on_hold"])
                ),
                fields=["organization", "id"],
                name="wo_org_open",
            ),
        ),
        migrations.RunPython(trigram_forwards, trigram_backwards),
    ]
