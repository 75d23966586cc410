from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "workorders.offline"
    label = "offline"
    verbose_name = "Offline sync"
