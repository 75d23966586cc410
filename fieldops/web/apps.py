from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fieldops.web"
    label = "web"
    verbose_name = "Pages, health and PWA plumbing"
