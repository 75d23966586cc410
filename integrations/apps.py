from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "ERP integrations and webhooks"

    def ready(self) -> None:
        from fieldops.celery import app

        # The periodic poll that backs up webhooks: each connection's own interval decides
        # whether a tick starts runs.
        app.conf.beat_schedule.setdefault(
            "integrations-poll-connections",
            {"task": "integrations.tasks.poll_connections_task", "schedule": 60.0},
        )
