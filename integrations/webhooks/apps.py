from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks and flows"

    def ready(self) -> None:
        from fieldops.celery import app
        from fieldops.events import subscribe
        from integrations.webhooks.services.delivery import on_event
        from integrations.webhooks.services.flows import on_event_flows

        # Every committed event fans out to the endpoints that subscribe to it, and runs flows.
        # In a batch (an offline push) both run in a worker, not in the request.
        subscribe("*", on_event, background=True)
        subscribe("*", on_event_flows, background=True)
        # Safety net for retry messages lost or early (filesystem broker, clock skew).
        app.conf.beat_schedule.setdefault(
            "webhooks-delivery-sweep",
            {"task": "integrations.webhooks.tasks.webhook_sweep_task", "schedule": 60.0},
        )
