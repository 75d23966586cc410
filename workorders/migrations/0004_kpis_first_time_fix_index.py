"""An index for the dashboard's first-time-fix figure: "other corrective work on the same asset
created within N days after this one's completion" is a range on created_at per asset. Without it
PostgreSQL ANDs two bitmaps (the asset's work, and every work order created in the window) per
completed repair: 22 ms on the 20,000-work-order bench data, 1.8 ms with it.

Database only (no model state), so that this migration stays within the KPI code's files: the
index is not in ``WorkOrder.Meta.indexes`` yet. Moving it there later takes an ``AddIndex``
wrapped in ``SeparateDatabaseAndState`` with no database operation. Built concurrently on
PostgreSQL: the work-order table is the busiest one."""

from django.db import migrations

NAME = "wo_org_asset_created"


def create(apps, schema_editor) -> None:
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX{concurrently} IF NOT EXISTS {NAME} "
        "ON workorders_workorder (organization_id, asset_id, created_at)"
    )


def drop(apps, schema_editor) -> None:
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("workorders", "0003_dashboard_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
