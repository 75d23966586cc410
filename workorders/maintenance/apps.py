from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "workorders.maintenance"
    label = "maintenance"
    verbose_name = "Preventive and predictive maintenance"
