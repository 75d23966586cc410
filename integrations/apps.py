from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "ERP integrations and webhooks"

    def ready(self) -> None:
        from fieldops.celery import app
        from fieldops.events import subscribe
        from integrations.services.outbox import on_reading_recorded, on_work_order_status_changed

        # Write-back: a completed work order and a recorded reading reach the ERP through the
        # outbox (integrations.services.outbox).
        subscribe("workorder.status_changed", on_work_order_status_changed, background=True)
        subscribe("meter.reading_recorded", on_reading_recorded, background=True)

        # The periodic poll that backs up webhooks: each connection's own interval decides
        # whether a tick starts runs.
        app.conf.beat_schedule.setdefault(
            "integrations-poll-connections",
            {"task": "integrations.tasks.poll_connections_task", "schedule": 60.0},
        )
        app.conf.beat_schedule.setdefault(
            "integrations-outbox-sweep",
            {"task": "integrations.tasks.outbox_sweep_task", "schedule": 60.0},
        )
