"""0004 built ``wo_org_asset_created`` in the database only (concurrently); this records it in
the model state, where ``WorkOrder.Meta.indexes`` now declares it. No database operation."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workorders", "0004_kpis_first_time_fix_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="workorder",
                    index=models.Index(
                        fields=["organization", "asset", "created_at"],
                        name="wo_org_asset_created",
                    ),
                )
            ],
            database_operations=[],
        )
    ]
