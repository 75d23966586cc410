from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "workorders.dispatch"
    label = "dispatch"
    verbose_name = "Workforce and dispatch"
