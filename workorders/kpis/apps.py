from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "workorders.kpis"
    label = "kpis"
    verbose_name = "Supervisor dashboards and KPIs"
