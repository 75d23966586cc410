from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "workorders.maintenance"
    label = "maintenance"
    verbose_name = "Preventive and predictive maintenance"

    def ready(self) -> None:
        from fieldops.events import subscribe
        from workorders.maintenance import handlers

        subscribe("meter.reading_recorded", handlers.on_reading_recorded, background=True)
        subscribe("workorder.status_changed", handlers.on_status_changed, background=True)
